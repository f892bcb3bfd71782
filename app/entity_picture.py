"""The entity picture of a ring: the people and the identifiers they share.

Why: an investigator reads a ring as "who used which card where, with which
phone and which operator", not as the store's settlements and trace codes.
A card pool drawn from the store is 977 nodes for 11 members; folded, it is
the 11 cards, their holders and the few pharmacies, devices and operators
they share, each edge carrying how many settlements, how much fund money,
and the first and last day.  One picture builder serves the explorer (ring
page, pyvis HTML) and the referral package (PNG and HTML), so both show
the same thing.

Folding rules (every settlement counted once):

* the *actor* of a settlement is its card when the card is a ring member or
  no member person is attached, else the member patient (the card's holder
  or the treated person);
* actor -> facility, device, operator and prescriber edges fold the
  settlements between them (count, fund paid, first/last day, settlement ids);
  a device, operator or prescriber is drawn only when it is a member or used by
  two or more actors (a shared identifier), so single-use ones do not clutter;
* a member card's holder is drawn with a "holds" edge; a treated person other
  than the holder with a "treated" edge;
* a resold box (trace code reimbursed again) folds into an actor -> actor
  (or actor -> facility) "resold" edge counting boxes;
* maternity claims fold into patient -> employer edges.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Iterable, Mapping, Sequence

from ringscope.app import pii

# Entity types the picture draws (contract vocabulary plus the two identifiers that are not entities).
TYPES = ("patient", "card", "facility", "prescriber", "operator", "device", "employer", "phone")
SHARED_ONLY = ("device", "operator", "prescriber", "phone")  # drawn when shared by two actors, or a member
EDGE_KINDS = ("holds", "treated", "used_at", "via_device", "via_operator", "prescribed_by", "resold", "claimed_via",
              "shares_phone")
# Roles drawn as leaders (colour) — the rest are members.
LEADER_ROLES = frozenset({"organizer", "organiser", "leader", "broker", "agent", "driver", "recruiter", "reseller",
                          "buyer", "hub"})


@dataclass
class PictureNode:
    type: str
    id: str
    role: str = ""
    member: bool = False
    name: str = ""  # unmasked display name (masked at drawing time)

    @property
    def key(self) -> str:
        return f"{self.type}:{self.id}"


@dataclass
class FoldedEdge:
    """Transactions between two picture nodes, folded: count, money, first/last day, settlement ids."""

    source: str
    kind: str
    target: str
    count: int = 0
    money: float = 0.0
    first: str = ""
    last: str = ""
    settlements: list[str] = field(default_factory=list)

    def add(self, txn_id: str, day: str, money: float) -> None:
        self.count += 1
        self.money += money
        if day and (not self.first or day < self.first):
            self.first = day
        if day and day > self.last:
            self.last = day
        if txn_id:
            self.settlements.append(txn_id)


@dataclass
class EntityPicture:
    nodes: dict[str, PictureNode] = field(default_factory=dict)
    edges: dict[tuple[str, str, str], FoldedEdge] = field(default_factory=dict)
    left_out: int = 0  # non-member nodes not drawn (MAX nodes)

    def node(self, etype: str, eid: str, name: str = "") -> str:
        key = f"{etype}:{eid}"
        if key not in self.nodes:
            self.nodes[key] = PictureNode(etype, eid, name=name)
        elif name and not self.nodes[key].name:
            self.nodes[key].name = name
        return key

    def edge(self, a: str, kind: str, b: str) -> FoldedEdge:
        found = self.edges.get((a, kind, b))
        if found is None:
            found = self.edges[(a, kind, b)] = FoldedEdge(a, kind, b)
        return found

    def edge_list(self) -> list[FoldedEdge]:
        """Edges by weight (most settlements first), the order the expansion table shows them."""
        return sorted(self.edges.values(), key=lambda e: (-e.count, -e.money, e.source, e.kind, e.target))


def _day(value: Any) -> str:
    if isinstance(value, (datetime, date)):
        return value.isoformat()[:10]
    return str(value or "")[:10]


def _money(value: Any) -> float:
    try:
        return float(value or 0)
    except (TypeError, ValueError):
        return 0.0


def _actor(pic: EntityPicture, s: Mapping[str, Any], members: set[str]) -> str:
    card, holder, treated = s.get("card_id"), s.get("card_holder_id"), s.get("patient_id")
    if card and f"card:{card}" in members:
        return pic.node("card", card)
    for person in (holder, treated):
        if person and f"patient:{person}" in members:
            return pic.node("patient", person)
    return pic.node("card", card) if card else pic.node("patient", treated or "?")


def _shared(values: Mapping[str, set[str]], members: set[str], etype: str, n_actors: int) -> set[str]:
    """Identifiers worth a node: members, devices used by two actors, operators and prescribers by a quarter.

    A prescriber or operator serving a few of a big ring's cards is ordinary (a busy pharmacy has
    few counters); drawing each one turns the picture into a hairball, while the edge table keeps them.
    """
    floor = 2 if etype == "device" else max(2, n_actors // 4)
    return {v for v, actors in values.items() if len(actors) >= floor or f"{etype}:{v}" in members}


def build_picture(members: Iterable[tuple[str, str, str]], settlements: Sequence[Mapping[str, Any]],
                  claims: Sequence[Mapping[str, Any]] = (), chains: Mapping[str, Sequence[str]] | None = None,
                  names: Mapping[str, str] | None = None) -> EntityPicture:
    """Fold a ring's settlements and claims into its entity picture (rules in the module docstring).

    ``members``: (type, id, role); ``settlements``: rows with settlement_id, settled_at, card_id,
    card_holder_id, patient_id, facility_id, prescriber_id, device_id, operator_id, fund_paid;
    ``claims``: claim_id, claimed_on, patient_id, employer_id, amount; ``chains``: trace code ->
    settlement ids in time order; ``names``: node key -> display name (person, facility, employer).
    """
    pic = EntityPicture()
    names = dict(names or {})
    member_keys: set[str] = set()
    for etype, eid, role in members:
        key = pic.node(etype, eid, names.get(f"{etype}:{eid}", ""))
        pic.nodes[key].role, pic.nodes[key].member = role or "member", True
        member_keys.add(key)
    actor_of: dict[str, str] = {}
    users: dict[str, dict[str, set[str]]] = {t: defaultdict(set) for t in ("device", "operator", "prescriber")}
    for s in settlements:
        actor = actor_of[s["settlement_id"]] = _actor(pic, s, member_keys)
        for etype in users:
            if s.get(f"{etype}_id"):
                users[etype][s[f"{etype}_id"]].add(actor)
    n_actors = len(set(actor_of.values()))
    shown = {etype: _shared(users[etype], member_keys, etype, n_actors) for etype in users}
    for s in settlements:
        _fold_settlement(pic, s, actor_of[s["settlement_id"]], shown, names)
    for c in claims:
        patient = pic.node("patient", c["patient_id"], names.get(f"patient:{c['patient_id']}", ""))
        employer = pic.node("employer", c["employer_id"], names.get(f"employer:{c['employer_id']}", ""))
        pic.edge(patient, "claimed_via", employer).add(c["claim_id"], _day(c.get("claimed_on")), _money(c.get("amount")))
    _fold_chains(pic, chains or {}, actor_of, {s["settlement_id"]: s for s in settlements})
    return pic


def _fold_settlement(pic: EntityPicture, s: Mapping[str, Any], actor: str, shown: Mapping[str, set[str]],
                     names: Mapping[str, str]) -> None:
    sid, day, money = s["settlement_id"], _day(s.get("settled_at")), _money(s.get("fund_paid"))
    holder, treated = s.get("card_holder_id"), s.get("patient_id")
    if actor.startswith("card:") and holder:
        pic.edge(pic.node("patient", holder, names.get(f"patient:{holder}", "")), "holds", actor)
    if treated and treated != holder and actor != f"patient:{treated}":
        pic.edge(actor, "treated", pic.node("patient", treated, names.get(f"patient:{treated}", ""))).add(sid, day, money)
    facility = pic.node("facility", s["facility_id"], names.get(f"facility:{s['facility_id']}", ""))
    pic.edge(actor, "used_at", facility).add(sid, day, money)
    for etype, kind in (("device", "via_device"), ("operator", "via_operator"), ("prescriber", "prescribed_by")):
        value = s.get(f"{etype}_id")
        if value and value in shown[etype]:
            pic.edge(actor, kind, pic.node(etype, value, names.get(f"{etype}:{value}", ""))).add(sid, day, money)


def _fold_chains(pic: EntityPicture, chains: Mapping[str, Sequence[str]], actor_of: Mapping[str, str],
                 rows: Mapping[str, Mapping[str, Any]]) -> None:
    """Each resold box: from whoever had it reimbursed to whoever had it reimbursed next (else where)."""
    for _code, sids in sorted(chains.items()):
        for prev, nxt in zip(sids, sids[1:]):
            source = actor_of.get(prev)
            if source is None:
                continue
            target = actor_of.get(nxt)
            if target is None or target == source:
                row = rows.get(nxt)
                target = f"facility:{row['facility_id']}" if row else None
            if target and target in pic.nodes:
                day = _day(rows[nxt]["settled_at"]) if nxt in rows else ""
                pic.edge(source, "resold", target).add(nxt, day, 0.0)


def display_name(node: PictureNode, mask: bool) -> str:
    """What is written on a node: the name (masked for people) or the id (masked where personal)."""
    if node.type in ("patient", "prescriber"):
        if node.name:
            return pii.mask_name(node.name) if mask else node.name
        return pii.mask_node_id("Patient", node.id) if mask and node.type == "patient" else node.id
    if node.type == "phone":
        return pii.mask_phone(node.id) if mask else node.id
    return node.name or node.id


def limit_nodes(pic: EntityPicture, max_nodes: int) -> EntityPicture:
    """Leave out the least-used non-member nodes past ``max_nodes`` (members always stay)."""
    if len(pic.nodes) <= max_nodes:
        return pic
    weight: dict[str, int] = defaultdict(int)
    for (a, _k, b), e in pic.edges.items():
        weight[a] += e.count + 1
        weight[b] += e.count + 1
    optional = sorted((k for k, n in pic.nodes.items() if not n.member), key=lambda k: (-weight[k], k))
    room = max(0, max_nodes - (len(pic.nodes) - len(optional)))
    dropped = set(optional[room:])
    out = EntityPicture({k: n for k, n in pic.nodes.items() if k not in dropped},
                        {k: e for k, e in pic.edges.items() if k[0] not in dropped and k[2] not in dropped},
                        left_out=len(dropped))
    return out
