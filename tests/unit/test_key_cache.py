"""The key cache: how long a key is served without a lookup, and how many it holds."""

from assetwatch.domain import ApiKey, Role
from assetwatch.services.auth import MAX_CACHED_KEYS, KeyCache


class Clock:
    """A monotonic clock that only moves when told to."""

    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def key(prefix: str) -> ApiKey:
    return ApiKey(organization_id=1, name="k", prefix=prefix, secret_hash="h", role=Role.reader)


def test_a_one_second_ttl_serves_the_key_for_one_second() -> None:
    clock = Clock()
    cache = KeyCache(ttl=1, clock=clock)
    cached = key("abc")
    cache.put(cached)
    clock.now += 0.999
    assert cache.get("abc") is cached
    clock.now += 0.001
    assert cache.get("abc") is None


def test_a_full_cache_starts_over_rather_than_grow() -> None:
    cache = KeyCache(ttl=5, clock=Clock())
    template = key("p0")
    for index in range(MAX_CACHED_KEYS):
        cache.put(template.model_copy(update={"prefix": f"p{index}"}))
    assert cache.get("p0") is not None
    newest = key("newest")
    cache.put(newest)
    assert cache.get("p0") is None
    assert cache.get(f"p{MAX_CACHED_KEYS - 1}") is None
    assert cache.get("newest") is newest
