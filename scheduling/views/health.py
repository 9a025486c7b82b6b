from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from scheduling.health import check_database, check_redis


@login_not_required
@never_cache
@require_GET
def healthz(request):
    checks = {"database": check_database(), "redis": check_redis()}
    healthy = all(state == "ok" for state in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503
    )
