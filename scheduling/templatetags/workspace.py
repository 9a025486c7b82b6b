"""Template helpers of the coordinator workspace; permissions come from scheduling.policy."""

from django import template

from scheduling import policy

register = template.Library()


@register.simple_tag(takes_context=True)
def can(context, action: str) -> bool:
    """`{% can "book" as can_book %}`: may the signed-in user do this?"""
    request = context.get("request")
    return request is not None and policy.allowed(request, policy.Action(action))
