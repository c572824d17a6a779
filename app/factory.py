"""The application factory: the one place that wires every package together."""

import time
from pathlib import Path

import click
from flask import Flask, current_app, g, render_template, request
from flask_bootstrap import Bootstrap5
from marshmallow import ValidationError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

import billing.api
import billing.cli
import billing.dashboard
import billing.demo
import billing.messages
import billing.navigation
import billing.stripe_gateway
import billing.views
import billing.webhooks
import catalogue.api
import catalogue.demo
import catalogue.navigation
import catalogue.views
import directory.api
import directory.cli
import directory.demo
import directory.messages
import directory.navigation
import directory.views
import frameworks.api
import frameworks.cli
import frameworks.demo
import frameworks.messages
import frameworks.navigation
import frameworks.views
import joining.api
import joining.navigation
import joining.privacy
import joining.views
import library.api
import library.demo
import library.impact_api
import library.impact_views
import library.messages
import library.navigation
import library.views
import orders.api
import orders.cli
import orders.dashboard
import orders.demo
import orders.messages
import orders.navigation
import orders.portal
import orders.portal_api
import orders.portal_navigation
import orders.views
import organisations.api
import organisations.navigation
import rebates.api
import rebates.cli
import rebates.demo
import rebates.messages
import rebates.navigation
import rebates.views
import reports.api
import reports.dashboard
import reports.demo
import reports.navigation
import reports.views
import shared_services.api
import shared_services.cli
import shared_services.dashboard
import shared_services.demo
import shared_services.messages
import shared_services.navigation
import shared_services.views
import tenders.api
import tenders.cli
import tenders.demo
import tenders.messages
import tenders.navigation
import tenders.views
import trading.api
import trading.cli
import trading.demo
import trading.messages
import trading.navigation
import trading.views
from app import benchmark, logs, settings
from kernel import api, api_docs, navigation, unit_of_work, web
from kernel.demo import run_in_date_order
from kernel.errors import Conflict, DomainError
from kernel.extensions import csrf, db, limiter, login_manager, migrate
from kernel.formatting import register_template_helpers
from organisations import (
    account_views,
    accounts,
    admin_views,
    audit,
    cli,
    demo,
    notification_views,
    outbox,
    outbox_views,
    views,
)
from organisations.models import User
from organisations.services import token_for

ROOT = Path(__file__).resolve().parent.parent

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action {form_action}; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


class IdConverter(IntegerConverter):
    """`<int:...>` up to the database's INTEGER: a bigger id in a URL is a 404, not an overflow.

    Raised as NotFound rather than failing the match: a failed match of one method's rule
    would make werkzeug answer 405 for the others.
    """

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if number > api.INT_MAX:
            raise NotFound()
        return number


def create_app(config: dict | None = None) -> Flask:
    """The app configured from the environment; `config` overrides it (tests, benchmarks)."""
    app = Flask(
        "marketplace",
        root_path=str(ROOT),
        template_folder="templates",
        static_folder="static",
        instance_path=str(ROOT / "instance"),
    )
    app.url_map.converters["int"] = IdConverter
    app.config.from_mapping(settings.from_environment(app.instance_path))
    if config:
        app.config.from_mapping(config)
    logs.configure(logs.level_of(app.config["LOG_LEVEL"]))
    if billing.stripe_gateway.stripe_enabled(app.config):
        _check_stripe(app.config)
    if app.config["TRUSTED_PROXIES"]:
        # The client's address (sign-in throttling counts per address) is the one the proxies in front saw.
        # Wrapping wsgi_app is how Flask documents adding WSGI middleware; mypy sees it as replacing a method.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"])  # type: ignore[method-assign]

    # Bootstrap's CSS and JS come from the Bootstrap-Flask package, served by the app: no CDN, so the CSP stays 'self'.
    app.config["BOOTSTRAP_SERVE_LOCAL"] = True
    Bootstrap5(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "marketplace.sign_in"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.user_loader(_load_user)

    register_template_helpers(app)
    api.init_app(app, token_for)
    web.init_app(app)
    navigation.init_app(app)
    organisations.navigation.init_app(app)
    joining.navigation.init_app(app)
    joining.privacy.init_app(app)
    navigation.register(app, catalogue.navigation.cards, catalogue.navigation.links)
    navigation.register(app, orders.navigation.cards, orders.navigation.links)
    navigation.register(app, orders.portal_navigation.cards, orders.portal_navigation.links)
    navigation.register(app, billing.navigation.cards, billing.navigation.links)
    navigation.register(app, shared_services.navigation.cards, shared_services.navigation.links)
    navigation.register(app, rebates.navigation.cards, rebates.navigation.links)
    navigation.register(app, reports.navigation.cards, reports.navigation.links)
    navigation.register(app, library.navigation.cards, library.navigation.links)
    for todos in (
        orders.dashboard.todos,
        billing.dashboard.todos,
        shared_services.dashboard.todos,
        reports.dashboard.todos,
    ):
        navigation.register(app, todos=todos)
    navigation.register(app, frameworks.navigation.cards, frameworks.navigation.links)
    navigation.register(app, tenders.navigation.cards, tenders.navigation.links)
    navigation.register(app, trading.navigation.cards, trading.navigation.links)
    navigation.register(app, directory.navigation.cards, directory.navigation.links)
    catalogue.views.add_offer_section(app, orders.portal.pools_on_old_prices)
    orders.views.add_pool_links(app, billing.navigation.pool_invoice_links)
    outbox.init_app(
        app,
        orders.messages.EXPANDERS
        | billing.messages.EXPANDERS
        | shared_services.messages.EXPANDERS
        | library.messages.EXPANDERS
        | frameworks.messages.EXPANDERS
        | rebates.messages.EXPANDERS
        | tenders.messages.EXPANDERS
        | directory.messages.EXPANDERS
        | trading.messages.EXPANDERS,
    )
    _register_error_handlers(app)
    app.before_request(_note_origin)
    app.teardown_request(_forget_origin)
    app.after_request(_commit_unit_of_work)
    app.after_request(_security_headers)

    for blueprint in (
        views.bp,
        account_views.bp,
        notification_views.bp,
        admin_views.bp,
        outbox_views.bp,
        api.bp,
        organisations.api.bp,
        cli.bp,
        joining.views.bp,
        joining.api.bp,
        catalogue.views.bp,
        catalogue.api.bp,
        orders.views.bp,
        orders.api.bp,
        orders.cli.bp,
        orders.portal.bp,
        orders.portal_api.bp,
        billing.views.bp,
        billing.api.bp,
        billing.webhooks.bp,
        billing.cli.bp,
        reports.views.bp,
        reports.api.bp,
        shared_services.views.bp,
        shared_services.api.bp,
        shared_services.cli.bp,
        rebates.views.bp,
        rebates.api.bp,
        rebates.cli.bp,
        library.views.bp,
        library.api.bp,
        library.impact_views.bp,
        library.impact_api.bp,
        directory.views.bp,
        directory.api.bp,
        directory.cli.bp,
        api_docs.bp,
        frameworks.views.bp,
        frameworks.api.bp,
        frameworks.cli.bp,
        tenders.views.bp,
        tenders.api.bp,
        tenders.cli.bp,
        trading.views.bp,
        trading.api.bp,
        trading.cli.bp,
    ):
        app.register_blueprint(blueprint)
    if app.config["BENCHMARK_BASELINE"]:
        app.register_blueprint(benchmark.bp)
    app.cli.add_command(demo_command)
    return app


def _load_user(key: str) -> User | None:
    """The cookie names a sign-in session (see organisations.accounts): one indexed lookup per request."""
    found = accounts.session_for_key(key)
    if found is None:
        return None
    g.sign_in_session = found
    return found.user.signed_in_with(key)


def _note_origin() -> None:
    """Where the request's audited actions come from: the client's address (ProxyFix has made it the real one)."""
    g.audit_origin_token = audit.set_origin(request.remote_addr)


def _forget_origin(error: BaseException | None) -> None:
    token = g.pop("audit_origin_token", None)
    if token is not None:
        audit.reset_origin(token)


def _commit_unit_of_work(response):
    """The one commit of a request: kept on success, rolled back on any error response."""
    if response.status_code >= 400:
        db.session.rollback()
        return response
    try:
        unit_of_work.commit()
    except Conflict as clash:
        return _handle_domain(clash)
    return response


def _check_stripe(config) -> None:
    """Payments start only with the library they are written for, and with Stripe calls that end before gunicorn
    gives up on the worker making them (a killed worker would leave the member a bare 502)."""
    billing.stripe_gateway.check_library()
    longest = billing.stripe_gateway.worst_case_seconds(config)
    if longest >= config["GUNICORN_TIMEOUT"]:
        raise RuntimeError(
            f"STRIPE_TIMEOUT={config['STRIPE_TIMEOUT']:g} lets one Stripe call with its retries take {longest:g} s, "
            f"not below gunicorn's worker timeout of {config['GUNICORN_TIMEOUT']} s (GUNICORN_TIMEOUT): lower it."
        )


def _security_headers(response):
    """Forms post to this site only; with Stripe on, the Pay button's redirect may also go to Stripe Checkout
    (Chromium applies form-action to where a form's redirects lead)."""
    form_action = "'self'"
    if billing.stripe_gateway.stripe_enabled(current_app.config):
        form_action += " " + current_app.config["STRIPE_CHECKOUT_ORIGIN"]
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY.format(form_action=form_action))
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


HTML_MESSAGES = {
    403: "You do not have access to this page.",
    404: "There is nothing here, or it is not yours to see.",
    405: "That action is not allowed here.",
    429: "Too many attempts. Please wait a few minutes and try again.",
}


def _error_page(status: int, message: str):
    return render_template("errors.html", status=status, message=message), status


def _handle_http(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    if api.is_api_request():
        return api.http_error_response(error)
    if error.code == 429 and request.endpoint == "marketplace.sign_in":
        return _error_page(429, "Too many failed sign-in attempts. Please wait 15 minutes and try again.")
    return _error_page(error.code, HTML_MESSAGES.get(error.code, error.description or error.name))


def _handle_domain(error: DomainError):
    if api.is_api_request():
        return api.domain_error_response(error)
    return _error_page(error.status_code, error.message)


def _handle_database_unavailable(error: OperationalError):
    db.session.rollback()
    if api.is_api_request():
        return api.error_response(503, "unavailable", "The database is unavailable; please retry.")
    return _error_page(503, "The service is briefly unavailable; please try again.")


def _register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(DomainError, _handle_domain)
    app.register_error_handler(ValidationError, api.validation_error_response)
    app.register_error_handler(OperationalError, _handle_database_unavailable)


@click.command("demo")
def demo_command():
    """Load the demo consortia, members, suppliers and accounts (password demo-password) into an empty database."""
    if not demo.may_load():
        click.echo("The database already holds other data; the demo loads only into an empty one. Nothing changed.")
        return
    started = time.perf_counter()
    click.echo("Loading the demo: consortia, networks, members, suppliers and their accounts...")
    demo.seed()
    click.echo("The catalogue: categories and suppliers' offers...")
    catalogue.demo.seed()
    click.echo("A year of pools, orders, invoices, payments and shared services, day by day...")
    # A year of past pools, today's pools, the billing demo's invoices and the shared services' billed months,
    # interleaved by day so each consortium's orders, invoices and credit notes are numbered in date order.
    run_in_date_order(
        reports.demo.history(), orders.demo.history(), billing.demo.history(), shared_services.demo.history()
    )
    rebates.demo.seed()
    click.echo("Policy templates, impact measures, skills, frameworks, tenders and trading between members...")
    library.demo.seed()
    directory.demo.seed()
    frameworks.demo.seed()
    tenders.demo.seed()
    trading.demo.seed()
    db.session.commit()
    click.echo(
        f"Demo data is in place ({time.perf_counter() - started:.0f} s). "
        "Sign in as admin@, secretary@, member@ or supplier@example.org."
    )
