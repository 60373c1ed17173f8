"""The expiring credential cache behind access tokens and JSAPI tickets."""

from dingperf.dingtalk.token import ExpiringCache, Issued


class Issuer:
    def __init__(self, ttl=7200):
        self.n, self.ttl = 0, ttl

    def __call__(self):
        self.n += 1
        return Issued(f"v{self.n}", self.ttl)


def test_value_is_cached_until_the_refresh_margin():
    now = [0.0]
    issuer = Issuer()
    cache = ExpiringCache(issuer, clock=lambda: now[0], refresh_ahead_s=600)
    assert cache.get() == "v1"
    now[0] = 7200 - 601
    assert cache.get() == "v1"
    now[0] = 7200 - 599
    assert cache.get() == "v2"


def test_invalidate_drops_only_the_value_it_names():
    issuer = Issuer()
    cache = ExpiringCache(issuer, clock=lambda: 0.0)
    cache.get()
    cache.invalidate("v1")
    assert cache.get() == "v2"
    cache.invalidate("v1")  # a late report about the old value keeps the new one
    assert cache.get() == "v2" and issuer.n == 2


def test_short_lived_values_refresh_at_half_life():
    now = [0.0]
    cache = ExpiringCache(Issuer(ttl=60), clock=lambda: now[0], refresh_ahead_s=600)
    assert cache.get() == "v1"
    now[0] = 29
    assert cache.get() == "v1"
    now[0] = 31
    assert cache.get() == "v2"
