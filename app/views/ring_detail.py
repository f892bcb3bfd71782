"""Ring detail: everything the ring page shows, built in one call.

:func:`build_ring_detail` is what the page renders and what
``benchmarks/explorer.py`` times: the entity picture (members and the
identifiers they share, settlements folded into weighted edges; built from
the ring's own rows, so a 5,000-node ring opens in well under 2 s), its
HTML, the member table, the evidence in the current language, the
settlement timeline, the fund-loss table and the trace-code resale chains.
The store's full subgraph (settlements, trace codes, ...) is drawn only on
request (:func:`store_graph`): it costs seconds on big rings and an
investigator rarely needs it.  Personal data is masked unless ``mask=False``
(the page passes that only for a user with ``unmask``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import pandas as pd

from ringscope.analytics.fund_loss import ZERO, total, txn_losses
from ringscope.app import pii
from ringscope.app.entity_picture import EntityPicture
from ringscope.app.entity_view import picture_html, ring_picture
from ringscope.app.free_text import mask_free_text
from ringscope.app.i18n import Translator
from ringscope.app.ring_graph import GraphView, member_roles, prepare_graph, to_html
from ringscope.app.ring_source import RingRecord
from ringscope.graph.model import ENTITY_LABELS
from ringscope.graph.store import NodeRef, Store, Subgraph

# What to draw around a ring's members and transactions: the shared things that make a ring visible.
EXPAND_LABELS = ("TraceCode", "Device", "Card", "Patient", "Institution", "Pharmacy", "Phone", "Employer",
                 "MaternityClaim")
SUBGRAPH_LIMIT = 20000


@dataclass
class RingDetail:
    ring: RingRecord
    picture: EntityPicture
    html: str  # the entity picture, self-contained
    members: pd.DataFrame
    evidence: list[str]
    timeline: pd.DataFrame
    fund_loss: pd.DataFrame
    chains: dict[str, list[str]]
    chain_table: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)


def ring_refs(ring: RingRecord) -> list[NodeRef]:
    refs = [NodeRef(label, m.id) for m in ring.members for label in ENTITY_LABELS.get(m.type, ())]
    refs += [NodeRef("Settlement", s) for s in ring.settlement_ids]
    refs += [NodeRef("MaternityClaim", c) for c in ring.claim_ids]
    return refs


def ring_subgraph(store: Store, ring: RingRecord, node_limit: int = SUBGRAPH_LIMIT) -> Subgraph:
    """The ring as the store holds it: members and transactions plus their shared neighbours."""
    return store.subgraph(ring_refs(ring), expand_labels=EXPAND_LABELS, node_limit=node_limit)


def _with(con: duckdb.DuckDBPyConnection, name: str, df: pd.DataFrame, sql: str, params=None) -> pd.DataFrame:
    con = con.cursor()  # own cursor: DuckDB 2 refuses work while another result on the connection is open
    con.register(name, df)
    try:
        return con.execute(sql, params or []).fetchdf()
    finally:
        con.unregister(name)


def _ids(values) -> pd.DataFrame:
    return pd.DataFrame({"id": list(values)}, dtype="object")


def members_table(con: duckdb.DuckDBPyConnection, ring: RingRecord, tr: Translator, mask: bool) -> pd.DataFrame:
    """type, id, role, name, id number, phone, region of every member (personal fields masked)."""
    mem = pd.DataFrame([(i, m.type, m.id, m.role) for i, m in enumerate(ring.members)],
                       columns=["ord", "type", "id", "role"], dtype="object")
    df = _with(con, "_rs_rd_mem", mem, """
        SELECT m.ord, m.type, m.id, m.role,
               coalesce(p.name, hp.name, f.name, pr.name, e.name) AS name,
               coalesce(p.id_number, hp.id_number) AS id_number,
               coalesce(p.phone, hp.phone, e.phone) AS phone,
               coalesce(p.region_code, hp.region_code, f.region_code, e.region_code) AS region_code
        FROM _rs_rd_mem m
        LEFT JOIN patients p ON m.type = 'patient' AND p.patient_id = m.id
        LEFT JOIN cards c ON m.type = 'card' AND c.card_id = m.id
        LEFT JOIN patients hp ON hp.patient_id = c.patient_id
        LEFT JOIN facilities f ON m.type = 'facility' AND f.facility_id = m.id
        LEFT JOIN prescribers pr ON m.type = 'prescriber' AND pr.prescriber_id = m.id
        LEFT JOIN employers e ON m.type = 'employer' AND e.employer_id = m.id
        ORDER BY m.ord
    """)
    df = df.drop(columns=["ord"])
    personal_name = df["type"].isin(["patient", "card", "prescriber"])
    if mask:
        df["name"] = [pii.mask_name(n) if p and isinstance(n, str) else n for n, p in zip(df["name"], personal_name)]
        df["id_number"] = [pii.mask_id_number(v) if isinstance(v, str) else v for v in df["id_number"]]
        df["phone"] = [pii.mask_phone(v) if isinstance(v, str) and p else v for v, p in zip(df["phone"], personal_name)]
    df["type"] = [tr.maybe(f"entity.{t}", t) for t in df["type"]]
    df["role"] = [tr.maybe(f"role.{r}", r) for r in df["role"]]
    return df.fillna("")


def personal_names(con: duckdb.DuckDBPyConnection, ring: RingRecord) -> list[str]:
    """Names of the ring's people (patients, card holders, prescribers), to mask in free text."""
    mem = pd.DataFrame([(m.type, m.id) for m in ring.members], columns=["type", "id"], dtype="object")
    df = _with(con, "_rs_rd_names", mem, """
        SELECT p.name FROM _rs_rd_names m JOIN patients p ON m.type = 'patient' AND p.patient_id = m.id
        UNION SELECT p.name FROM _rs_rd_names m JOIN cards c ON m.type = 'card' AND c.card_id = m.id
              JOIN patients p ON p.patient_id = c.patient_id
        UNION SELECT pr.name FROM _rs_rd_names m JOIN prescribers pr ON m.type = 'prescriber' AND pr.prescriber_id = m.id
    """)
    return [n for n in df["name"] if isinstance(n, str)]


def evidence_lines(ring: RingRecord, lang: str, mask: bool, names: list[str],
                   con: duckdb.DuckDBPyConnection | None = None) -> list[str]:
    """Evidence sentences, masked with the ring's names and the store's own known values (``app.free_text``)."""
    lines = [e.in_language(lang) for e in ring.evidence]
    return [mask_free_text(con, line, tuple(names)) for line in lines] if mask else lines


def settlement_timeline(con: duckdb.DuckDBPyConnection, ring: RingRecord) -> pd.DataFrame:
    """The ring's settlements and claims in time order."""
    df = _with(con, "_rs_rd_tl", _ids(ring.settlement_ids), """
        SELECT s.settled_at AS "when", 'settlement' AS txn, s.settlement_id AS id, s.card_id, s.patient_id,
               s.facility_id, f.name AS facility, s.kind, s.total_amount, s.fund_paid
        FROM _rs_rd_tl t JOIN settlements s ON s.settlement_id = t.id LEFT JOIN facilities f USING (facility_id)
    """)
    if ring.claim_ids:
        claims = _with(con, "_rs_rd_cl", _ids(ring.claim_ids), """
            SELECT m.claimed_on::TIMESTAMP AS "when", 'claim' AS txn, m.claim_id AS id, NULL AS card_id, m.patient_id,
                   m.employer_id AS facility_id, e.name AS facility, 'maternity' AS kind,
                   m.amount AS total_amount, m.amount AS fund_paid
            FROM _rs_rd_cl t JOIN maternity_claims m ON m.claim_id = t.id LEFT JOIN employers e USING (employer_id)
        """)
        df = pd.concat([df, claims], ignore_index=True) if not df.empty else claims
    return df.sort_values(["when", "id"]).reset_index(drop=True)


def fund_loss_table(con: duckdb.DuckDBPyConnection, ring: RingRecord, timeline: pd.DataFrame) -> pd.DataFrame:
    """Fund loss by facility and kind: :func:`analytics.fund_loss.txn_losses`, each transaction once, in Decimal.

    The timeline only names the facility and the settlement kind; the money
    comes from the one fund-loss rule, so the Σ row equals the ring's loss in
    the report and the referral package to the cent.
    """
    columns = ["facility_id", "facility", "kind", "transactions", "fund_paid"]
    losses = txn_losses(con, ring.settlement_ids, ring.claim_ids)
    if not losses:
        return pd.DataFrame(columns=columns)
    named = {(txn, str(i)): (fid, name, kind) for txn, i, fid, name, kind in zip(
        timeline["txn"], timeline["id"], timeline["facility_id"], timeline["facility"], timeline["kind"])}
    groups: dict[tuple, list] = {}
    for t in losses:
        key = named.get((t.kind, t.txn_id), (t.place_id, None, t.kind))
        group = groups.setdefault(key, [0, ZERO])
        group[0] += 1
        group[1] += t.loss
    rows = [[*key, n, loss] for key, (n, loss) in groups.items()]
    rows.sort(key=lambda r: (-r[4], str(r[0]), str(r[2])))
    rows.append(["", "Σ", "", len(losses), total(losses)])
    return pd.DataFrame(rows, columns=columns)


def trace_chains(con: duckdb.DuckDBPyConnection, ring: RingRecord) -> tuple[dict[str, list[str]], pd.DataFrame]:
    """Trace codes of the ring's settlements reimbursed in two or more settlements (anywhere in the store).

    Returns ``{trace_code: [settlement ids in time order]}`` and the table of those settlements.
    """
    df = _with(con, "_rs_rd_tc", _ids(ring.settlement_ids), """
        WITH codes AS (SELECT DISTINCT d.trace_code FROM _rs_rd_tc t JOIN dispensings d ON d.settlement_id = t.id
                       WHERE d.trace_code IS NOT NULL),
             uses AS (SELECT DISTINCT d.trace_code, d.settlement_id FROM dispensings d JOIN codes USING (trace_code))
        SELECT u.trace_code, s.settled_at AS "when", s.settlement_id, s.card_id, s.patient_id, s.facility_id,
               f.name AS facility, dr.name AS drug
        FROM uses u JOIN settlements s USING (settlement_id) LEFT JOIN facilities f USING (facility_id)
        LEFT JOIN (SELECT trace_code, min(drug_code) AS drug_code FROM dispensings
                   WHERE trace_code IN (SELECT trace_code FROM codes) GROUP BY trace_code) tc USING (trace_code)
        LEFT JOIN drugs dr ON dr.drug_code = tc.drug_code
        WHERE u.trace_code IN (SELECT trace_code FROM uses GROUP BY trace_code HAVING count(*) > 1)
        ORDER BY u.trace_code, "when", s.settlement_id
    """)
    chains: dict[str, list[str]] = {}
    for code, sid in zip(df["trace_code"], df["settlement_id"]):
        chains.setdefault(code, []).append(sid)
    return chains, df


def build_ring_detail(store: Store, ring: RingRecord, lang: str = "zh", mask: bool = True) -> RingDetail:
    """Every part of the ring page, ready to show (see the module docstring)."""
    import time

    tr = Translator(lang)
    timings: dict[str, float] = {}
    con = store.relational()
    t1 = time.perf_counter()
    chains, chain_table = trace_chains(con, ring)
    timeline = settlement_timeline(con, ring)
    members = members_table(con, ring, tr, mask)
    names = personal_names(con, ring) if mask else []
    evidence = evidence_lines(ring, lang, mask, names, con)
    timings["tables"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    picture = ring_picture(con, ring, chains)
    html = picture_html(picture, lang=lang, mask=mask)
    timings["picture_html"] = time.perf_counter() - t2
    return RingDetail(ring, picture, html, members, evidence, timeline, fund_loss_table(con, ring, timeline), chains,
                      chain_table, timings)


@dataclass
class StoreGraph:
    subgraph: Subgraph
    view: GraphView
    html: str


def store_graph(store: Store, ring: RingRecord, chains: dict[str, list[str]], lang: str = "zh", mask: bool = True,
                collapse_above: int | None = None) -> StoreGraph:
    """The ring as the store holds it (settlements, trace codes, ...): drawn only when asked for."""
    sub = ring_subgraph(store, ring)
    roles = member_roles((m.type, m.id, m.role) for m in ring.members)
    kwargs = {} if collapse_above is None else {"collapse_above": collapse_above}
    view = prepare_graph(sub, roles, lang=lang, mask=mask, chains=chains, **kwargs)
    return StoreGraph(sub, view, to_html(view, lang=lang))


def timeline_chart(timeline: pd.DataFrame, tr: Translator):
    """Each settlement or claim as a dot: time across, facility down, size by fund paid."""
    import plotly.express as px

    data = localise_values(timeline, tr).assign(facility=timeline["facility"].fillna(timeline["facility_id"]))
    fig = px.scatter(data, x="when", y="facility", size="fund_paid", color="kind", hover_data=["id", "card_id"],
                     labels={"when": tr("col.when"), "facility": tr("col.facility"), "fund_paid": tr("col.fund_paid"),
                             "kind": tr("col.kind"), "id": tr("col.id"), "card_id": tr("col.card_id")},
                     title=tr("ring.timeline"))
    fig.update_layout(height=max(300, 40 * data["facility"].nunique() + 150))
    return fig


# Code columns and the catalogue section that names their values (settlement kinds, transaction types, ...).
CODE_SECTIONS = {"kind": "value", "facility_kind": "value", "txn": "txn", "type": "entity", "role": "role",
                 "status": "status", "scheme": "scheme"}


def localise_values(df: pd.DataFrame, tr: Translator) -> pd.DataFrame:
    """Code cells in the reader's language (药店, 住院, 结算, ...); a code the catalogue lacks stays as it is."""
    out = df.copy()
    for column, section in CODE_SECTIONS.items():
        if column in out.columns:
            out[column] = [tr.maybe(f"{section}.{v}", v) if isinstance(v, str) and v else v for v in out[column]]
    return out


def localise_columns(df: pd.DataFrame, tr: Translator) -> pd.DataFrame:
    """A table as shown: code cells and headers in the reader's language."""
    return localise_values(df, tr).rename(columns={c: tr.maybe(f"col.{c}", c) for c in df.columns})
