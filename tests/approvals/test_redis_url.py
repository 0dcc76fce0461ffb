"""REDIS_URL forms: one server, TLS, a Unix socket, Sentinel and Cluster node lists; a
malformed URL fails with an error naming the setting and never showing the password."""

from __future__ import annotations

import pytest
import redis
from redis.cluster import RedisCluster

from bot.redis_url import InvalidRedisUrl, RedisMode, connect, default_ack_replicas, parse
from tests.fixtures.redis_ha import ClusterSetup, SentinelSetup


def test_sentinel_urls_carry_sentinels_master_db_and_both_passwords() -> None:
    target = parse("redis+sentinel://:m%40ster@h1:26379,h2/prod-master/3?sentinel_password=s3")
    assert (target.mode, target.nodes, target.master, target.db) == (
        RedisMode.SENTINEL,
        (("h1", 26379), ("h2", 26379)),
        "prod-master",
        3,
    )
    assert (target.password, target.sentinel_password, target.tls) == ("m@ster", "s3", False)
    assert parse("rediss+sentinel://h1/m").tls


def test_cluster_urls_carry_the_node_list() -> None:
    target = parse("redis+cluster://user:pw@10.0.0.1:7000,10.0.0.2:7001")
    assert (target.mode, target.nodes, target.username, target.password) == (
        RedisMode.CLUSTER,
        (("10.0.0.1", 7000), ("10.0.0.2", 7001)),
        "user",
        "pw",
    )
    assert default_ack_replicas("redis+cluster://h:7000") == 1
    assert default_ack_replicas("redis://h:6379/0") == 0
    assert parse("unix:///run/redis.sock?db=2").mode is RedisMode.SINGLE


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("localhost:6379", "no scheme"),
        ("http://h:6379", "unknown scheme 'http'"),
        ("redis+sentinel://:hunter2@h1:26379", "master's name"),
        ("redis+sentinel://h1:26379/m/x", "not a number"),
        ("redis+sentinel://h1:port/m", "not host:port"),
        ("redis+sentinel://h1/m?sentinel_pasword=x", "unknown option"),
        ("redis+cluster://:hunter2@h1:7000/2", "only database 0"),
        ("redis://:hunter2@/0", "names no host"),
    ],
)
def test_a_malformed_url_names_the_setting_and_hides_the_password(url: str, problem: str) -> None:
    with pytest.raises(InvalidRedisUrl, match="REDIS_URL=") as caught:
        connect(url)
    assert problem in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_connect_builds_a_working_client_for_sentinel_and_cluster(
    sentinel_setup: SentinelSetup, redis_cluster: ClusterSetup
) -> None:
    through_sentinel = connect(sentinel_setup.url)
    assert isinstance(through_sentinel, redis.Redis)
    assert through_sentinel.set("url-test", "1") and through_sentinel.get("url-test") == b"1"
    assert sentinel_setup.master().client().get("url-test") == "1"  # written on the master
    cluster = connect(redis_cluster.url)
    assert isinstance(cluster, RedisCluster)
    assert cluster.set("url-test", "1") and cluster.get("url-test") == b"1"
