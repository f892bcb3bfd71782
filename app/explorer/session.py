"""What every explorer page shares: configuration, store, rings, language, login, masking.

Kept out of the pages so they stay thin; nothing here computes a view (that
is ``app.views``).  The workspace and store come from the environment
(``RINGSCOPE_WORKSPACE``, ``RINGSCOPE_STORE``, ``RINGSCOPE_CONFIG``), which
``ringscope explore`` sets before starting Streamlit.
"""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from ringscope.app import audit
from ringscope.app.auth import UNMASK, AuthConfigError, User, UserDirectory, load_directory
from ringscope.app.config import RingScopeConfig, load_config
from ringscope.app.i18n import LANGUAGES, Translator, normalise_language
from ringscope.app.login import LoginRefused, login
from ringscope.app.ring_source import RingSet, load_rings
from ringscope.graph.factory import open_store
from ringscope.graph.store import Store

LANGUAGE_NAMES = {"zh": "中文", "en": "English"}


@dataclass
class Context:
    cfg: RingScopeConfig
    store: Store
    tr: Translator
    user: User | None
    mask: bool  # True unless a user with the unmask right asked to see personal data

    @property
    def lang(self) -> str:
        return self.tr.lang


def config() -> RingScopeConfig:
    return load_config()


def store(cfg: RingScopeConfig) -> Store:
    """The store for this script run, opened on first use and closed by ``close_store``.

    Held only while a page runs, never between runs: the embedded store is one
    DuckDB file that `ringscope ingest`, `detect` and `weekly` must be able to
    open for writing while investigators keep the explorer open.
    """
    held = st.session_state.get("_run_store")
    if held is None:
        held = st.session_state["_run_store"] = open_store(cfg.store)
    return held


def close_store() -> None:
    """Release this run's store (the entry script calls it after the page ran)."""
    held = st.session_state.pop("_run_store", None)
    if held is not None:
        held.close()


def rings(ctx: Context) -> RingSet:
    return load_rings(ctx.cfg.workspace, ctx.store.relational(), ctx.cfg.app)


def rings_or_stop(ctx: Context) -> RingSet:
    """The rings, or the page ends here with "no rings yet": the screens that list rings have nothing else to show."""
    ring_set = rings(ctx)
    if not ring_set.rings:
        st.info(ctx.tr("app.no_rings"))
        st.stop()
    return ring_set


def directory(cfg: RingScopeConfig) -> UserDirectory | None:
    try:
        return load_directory(cfg.app)
    except AuthConfigError as exc:
        st.sidebar.error(Translator(st.session_state.get("lang")).__call__("auth.config_error", error=str(exc)))
        return None


def _language_picker(cfg: RingScopeConfig) -> Translator:
    # Widget state is dropped when the page changes, so the choice is kept under a key of our own.
    lang = normalise_language(st.session_state.get("lang") or cfg.app.get("language"))
    st.session_state["lang"] = lang
    st.session_state["lang_widget"] = lang
    st.sidebar.radio(Translator(lang)("app.language"), LANGUAGES, key="lang_widget", format_func=LANGUAGE_NAMES.get,
                     horizontal=True, on_change=_keep, args=("lang_widget", "lang"))
    return Translator(st.session_state["lang"])


def _keep(widget_key: str, state_key: str) -> None:
    st.session_state[state_key] = st.session_state[widget_key]


def _login_box(cfg: RingScopeConfig, tr: Translator) -> User | None:
    user: User | None = st.session_state.get("user")
    users = directory(cfg)
    if user is not None:
        st.sidebar.success(tr("auth.logged_in_as", user=user.name, role=user.role))
        if st.sidebar.button(tr("auth.logout"), key="logout"):
            st.session_state.pop("user", None)
            st.session_state["unmask"] = False
            st.rerun()
        return user
    if users is None or not users.names:
        st.sidebar.caption(tr("auth.no_users"))
        return None
    box = st.sidebar.container(border=True)
    box.markdown(f"**{tr('auth.login')}**")
    name = box.text_input(tr("auth.username"), key="login_name")
    password = box.text_input(tr("auth.password"), type="password", key="login_password")
    submitted = box.button(tr("auth.login_button"), key="login_button")
    if submitted:
        try:
            found = login(cfg.workspace, users, name, password, via="explorer")
        except LoginRefused as exc:
            throttled = str(exc).startswith("too many")
            st.sidebar.error(tr("auth.login_throttled") if throttled else tr("auth.login_failed"))
            return None
        except audit.AuditError as exc:
            st.sidebar.error(str(exc))
            return None
        st.session_state["user"] = found
        st.session_state.pop("login_password", None)
        st.rerun()
    return None


def _unmask_toggle(user: User | None, tr: Translator) -> bool:
    allowed = user is not None and user.can(UNMASK)
    if not allowed:
        st.session_state["unmask"] = False
    st.session_state["unmask_widget"] = bool(st.session_state.get("unmask"))
    st.sidebar.toggle(tr("auth.unmask"), key="unmask_widget", disabled=not allowed, on_change=_keep,
                      args=("unmask_widget", "unmask"), help=None if allowed else tr("auth.unmask_needs_right"))
    return bool(allowed and st.session_state.get("unmask"))


def context() -> Context:
    """Sidebar (language, login, unmask) and the shared state; called once per run by the entry page."""
    cfg = config()
    tr = _language_picker(cfg)
    user = _login_box(cfg, tr)
    unmasked = _unmask_toggle(user, tr)
    st.sidebar.caption(tr("auth.unmasked_notice") if unmasked else tr("auth.masked_notice"))
    return Context(cfg=cfg, store=store(cfg), tr=tr, user=user, mask=not unmasked)


def current() -> Context:
    """The page's context; draws the sidebar.  Every page calls this first."""
    return context()


def translator() -> Translator:
    """The current language's translator, without drawing anything (for navigation titles)."""
    return Translator(st.session_state.get("lang") or normalise_language(config().app.get("language")))


def masked_for(ctx: Context, target: str, details: dict | None = None) -> bool:
    """Whether ``target`` must be shown masked; when not, the unmasking is audit-logged first.

    Logged once per session and target (reruns of the same view are not new viewings).
    When the audit log cannot be written the data stays masked.
    """
    return ctx.mask or not _note_unmask(ctx, target, details)


def _note_unmask(ctx: Context, target: str, details: dict | None = None) -> bool:
    if ctx.mask or ctx.user is None:
        return False
    logged: set = st.session_state.setdefault("_unmask_logged", set())
    if target in logged:
        return True
    try:
        audit.record(ctx.cfg.workspace, user=ctx.user.name, action=audit.UNMASK, target=target,
                     details=details, role=ctx.user.role)
    except audit.AuditError as exc:
        st.error(str(exc))
        ctx.mask = True
        return False
    logged.add(target)
    return True



def users_configured(ctx: Context) -> bool:
    users = directory(ctx.cfg)
    return users is None or bool(users.names)  # a broken users file counts as configured: fail closed


def may_write(ctx: Context) -> bool:
    """Whether this visitor may change anything: with users configured, only a logged-in user may."""
    return ctx.user is not None or not users_configured(ctx)


def writer_name(ctx: Context) -> str:
    """Who a write is recorded as: the logged-in user, or the machine's user when nobody is configured."""
    if ctx.user is not None:
        return ctx.user.name
    from ringscope.app.export.access import local_user

    return local_user(None).name


def refuse_write(ctx: Context, target: str) -> None:
    """Record and show a refused write (a visitor who is not logged in)."""
    try:
        audit.record(ctx.cfg.workspace, user="anonymous", action="triage_denied", target=target)
    except audit.AuditError:
        pass  # refused either way
    st.error(ctx.tr("ring.triage_login_needed"))


def anchor_audit_head(ctx: Context, con) -> None:
    """Keep the audit log's head in the store after a write (``app.audit_chain``)."""
    from ringscope.app.audit_chain import anchor

    try:
        seq, head = audit.head(ctx.cfg.workspace)
        if seq:
            anchor(con, seq, head)
    except (audit.AuditError, Exception):  # noqa: BLE001 - the write is done; the next verify anchors again
        pass


def audit_search(ctx: Context, query: str, labels: list[str], query_hash: str | None = None) -> None:
    """Record a search once per session and query (reruns are not new searches), its personal values masked.

    A full ID number or phone is also logged as its keyed hash (``query_hash``), so an auditor can tell
    which searches looked up the same person without the log holding the number.

    When the log cannot be written the search is not run: the page stops with the error.
    """
    from ringscope.app.views.search import audit_query

    query = (query or "").strip()
    if not query:
        return
    done: set = st.session_state.setdefault("_search_logged", set())
    if query in done:
        return
    try:
        audit.record(ctx.cfg.workspace, user=ctx.user.name if ctx.user else "anonymous", action="search",
                     target="explorer:search", role=ctx.user.role if ctx.user else None,
                     details={"query": audit_query(query), "labels": list(labels), "masked": ctx.mask,
                              **({"query_hash": query_hash} if query_hash else {})})
    except audit.AuditError as exc:
        st.error(str(exc))
        st.stop()
    done.add(query)
