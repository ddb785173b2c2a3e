"""`{% accessibility_statement_status page as status %}`: the public service page's line about
its accessibility statement, from :func:`services_catalogue.audit.reports.statement_status`
(one query)."""

from django import template

from services_catalogue.audit.reports import statement_status

register = template.Library()


@register.simple_tag
def accessibility_statement_status(service):
    return statement_status(service)
