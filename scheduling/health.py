"""Liveness of the services the app cannot work without."""

import logging

import redis
from django.conf import settings
from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        logger.warning("health check: database unavailable: %s", error)
        return "unavailable"
    return "ok"


def check_redis() -> str:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError as error:
        logger.warning("health check: redis unavailable: %s", error)
        return "unavailable"
    finally:
        client.close()
    return "ok"
