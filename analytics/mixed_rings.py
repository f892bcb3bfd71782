"""``mixed`` rings: one group of people running several schemes.

Each scheme detector reports rings of its own scheme.  Real gangs often run
more than one scheme through the same people (a pharmacy that resells
returned drugs and also settles rented cards; a clinic running a car shuttle
whose doctors also over-prescribe), and the detectors then report the same
group twice.  :func:`merge_mixed_rings` finds such rings and reports each
group once, as a ring of scheme ``mixed`` (data contract, section 3).

When are two rings the same group?  Both conditions, on the members the two
rings list (``type:id``):

* they are of **different schemes** (rings of one scheme are the detector's
  own business: it chose to report them apart);
* on the entity types **both** rings list, at least ``min_overlap`` of the
  smaller ring's members are in the other ring too (the overlap coefficient
  ``|A ∩ B| / min(|A|, |B|)``), **and** they share at least
  ``min_shared_members`` members, facilities not counted (unless
  ``count_facilities``): a busy pharmacy serves many unrelated rings, so
  sharing one place never makes two rings one.

With ``cards_as_holders`` a card stands for its holder while comparing, so a
pool of rented cards and a resale ring whose sellers are those cards' holders
are recognised as the same people.

Groups are built transitively, strongest overlap first (union-find); two
groups are never joined when that would put two rings of the same scheme into
one mixed ring.  A merged ring holds the union of the members (a member found
in several rings keeps its strongest role), of the evidence (each item tagged
with its scheme and prefixed with the scheme's name in both languages, after
two items that say which schemes and how many people they share), and of the
settlement and claim ids, so fund loss, attached afterwards, counts every
transaction once.  Rings that overlap nothing are returned unchanged.  The
result does not depend on the order of the input.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import Iterable, Mapping, Sequence

import duckdb
import pandas as pd

from ringscope.analytics import schemes as registry
from ringscope.analytics.ring import Evidence, Member, Ring
from ringscope.analytics.settings import MixedSettings
from ringscope.ingest.contract import SCHEMES

SCHEME = "mixed"

# Which role a member keeps when the merged rings gave it different ones: lower is stronger.
# Those who run the scheme, then those who take part, then plain members.
ROLE_RANK = {
    "organizer": 0, "hub": 1,
    "reseller": 2, "prescriber": 2, "shell_employer": 2, "institution": 2, "pharmacy": 2,
    "dispensing_facility": 2, "collector": 2,
    "seller": 3, "borrowed": 3, "shuttled": 3, "claimant": 3, "device": 3,
    "patient": 4, "member": 5,
}
_UNKNOWN_ROLE_RANK = 3

_SCHEME_ORDER = {s: i for i, s in enumerate(SCHEMES)}


def _scheme_key(scheme: str) -> tuple[int, str]:
    return (_SCHEME_ORDER.get(scheme, len(_SCHEME_ORDER)), scheme)


def _ring_key(ring: Ring) -> tuple:
    """Content order of rings, independent of the order they arrived in."""
    return (ring.scheme, ring.fingerprint, tuple(ring.settlement_ids), tuple(ring.claim_ids),
            tuple((e.kind, e.text) for e in ring.evidence))


def scheme_name(scheme: str, lang: str) -> str:
    """The scheme's name in evidence sentences: the one catalogue's, as every screen shows it."""
    return registry.title(scheme, lang)


def card_holders(con: duckdb.DuckDBPyConnection, rings: Iterable[Ring]) -> dict[str, str]:
    """card_id -> holder patient_id for the cards listed in ``rings`` (from the ``cards`` table)."""
    cards = sorted({m.id for r in rings for m in r.members if m.type == "card"})
    if not cards:
        return {}
    con.register("_rs_mixed_cards", pd.DataFrame({"card_id": cards}, dtype="object"))
    try:
        found = con.execute(
            "SELECT c.card_id::VARCHAR, c.patient_id::VARCHAR FROM cards c "
            "JOIN _rs_mixed_cards k ON k.card_id = c.card_id::VARCHAR WHERE c.patient_id IS NOT NULL"
        ).fetchall()
    finally:
        con.unregister("_rs_mixed_cards")
    return {card: holder for card, holder in found}


def _compare_keys(ring: Ring, holders: Mapping[str, str]) -> set[str]:
    """The ring's members as compared: ``type:id``, a card as its holder when known."""
    out = set()
    for m in ring.members:
        if m.type == "card" and m.id in holders:
            out.add(f"patient:{holders[m.id]}")
        else:
            out.add(m.key)
    return out


def _type(key: str) -> str:
    return key.split(":", 1)[0]


def overlap(a: set[str], b: set[str], count_facilities: bool = False,
            per: str = "smaller") -> tuple[float, int, int]:
    """(overlap coefficient, shared members counted, shared members) on the entity types both sets hold.

    Facilities are left out of the count unless ``count_facilities``; they are
    always part of the coefficient and of the plain number shared.  ``per`` says
    whose size the shared members are a share of: the smaller ring's (``smaller``),
    or ``a``'s or ``b``'s.
    """
    common = {_type(k) for k in a} & {_type(k) for k in b}
    a2 = {k for k in a if _type(k) in common}
    b2 = {k for k in b if _type(k) in common}
    if not a2 or not b2:
        return 0.0, 0, 0
    shared = a2 & b2
    counted = sum(1 for k in shared if count_facilities or _type(k) != "facility")
    size = {"a": len(a2), "b": len(b2)}.get(per, min(len(a2), len(b2)))
    return len(shared) / size, counted, len(shared)


def _through_holders(ring: Ring, holders: Mapping[str, str]) -> bool:
    return any(m.type == "card" and m.id in holders for m in ring.members)


def merge_mixed_rings(rings: Sequence[Ring], settings: MixedSettings | None = None,
                      holders: Mapping[str, str] | None = None) -> list[Ring]:
    """Rings with every group of different-scheme rings of the same people merged into one ``mixed`` ring.

    ``holders`` maps card ids to their holders' patient ids (see :func:`card_holders`);
    it is used only when ``settings.cards_as_holders``.  Returns rings in content
    order (scheme, then members); unmerged rings are the same objects as given.
    """
    cfg = settings or MixedSettings()
    ordered = sorted(rings, key=_ring_key)
    if not cfg.enabled or len(ordered) < 2:
        return ordered
    use_holders = holders if (cfg.cards_as_holders and holders) else {}
    keys = [_compare_keys(r, use_holders) for r in ordered]
    via_cards = [_through_holders(r, use_holders) for r in ordered]
    schemes = [frozenset(r.schemes) for r in ordered]

    links = _links(keys, via_cards, schemes, cfg)
    if not links:
        return ordered
    return _merge_groups(ordered, schemes, links)


def _links(keys: list, via_cards: list[bool], schemes: list[frozenset[str]],
           cfg: MixedSettings) -> list[tuple[float, int, int, int, int]]:
    """Every pair of different-scheme rings that overlap enough, strongest first."""
    by_key: dict[str, list[int]] = defaultdict(list)
    for i, k in enumerate(keys):
        for key in k:
            by_key[key].append(i)
    links: list[tuple[float, int, int, int, int]] = []
    for i in range(len(keys)):
        partners = sorted({j for key in keys[i] for j in by_key[key] if j > i})
        for j in partners:
            if schemes[i] & schemes[j]:
                continue  # same scheme: the detector reported them apart on purpose
            # A ring compared through its cards' holders against a ring of people: what
            # counts is how much of the people ring holds those cards.  A gang rents many
            # cards; three of them held by patients of a large prescriber ring do not make
            # that ring the gang's footprint.
            per = "smaller" if via_cards[i] == via_cards[j] else ("b" if via_cards[i] else "a")
            coef, counted, shared = overlap(keys[i], keys[j], cfg.count_facilities, per)
            if coef >= cfg.min_overlap and counted >= cfg.min_shared_members:
                links.append((-coef, -counted, i, j, shared))
    return sorted(links)


def _merge_groups(ordered: list[Ring], schemes: list[frozenset[str]],
                  links: list[tuple[float, int, int, int, int]]) -> list[Ring]:
    """Union the linked rings, strongest link first, never two rings of one scheme in a group."""
    parent = list(range(len(ordered)))
    group_schemes = {i: set(s) for i, s in enumerate(schemes)}
    joined: dict[int, list[tuple[int, int, float, int]]] = defaultdict(list)

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for neg_coef, _, i, j, shared in links:
        ri, rj = find(i), find(j)
        if ri == rj or group_schemes[ri] & group_schemes[rj]:
            continue  # already one group, or joining would hold two rings of one scheme
        root, other = min(ri, rj), max(ri, rj)
        parent[other] = root
        group_schemes[root] |= group_schemes.pop(other)
        joined[root] += joined.pop(other, []) + [(i, j, -neg_coef, shared)]

    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(ordered)):
        groups[find(i)].append(i)
    out: list[Ring] = []
    for root, idx in groups.items():
        if len(idx) == 1:
            out.append(ordered[idx[0]])
        else:
            out.append(_merge([ordered[i] for i in idx], [(ordered[i], ordered[j], c, s) for i, j, c, s in joined[root]]))
    return sorted(out, key=_ring_key)


def _strongest(roles: Iterable[str]) -> str:
    return min(roles, key=lambda r: (ROLE_RANK.get(r, _UNKNOWN_ROLE_RANK), r))


def _merge(parts: list[Ring], links: list[tuple[Ring, Ring, float, int]]) -> Ring:
    """One ``mixed`` ring from rings of different schemes (``parts`` in content order)."""
    parts = sorted(parts, key=lambda r: (_scheme_key(r.schemes[0]), _ring_key(r)))
    roles: dict[tuple[str, str], list[str]] = defaultdict(list)
    for r in parts:
        for m in r.members:
            roles[(m.type, m.id)].append(m.role)
    members = [Member(t, i, _strongest(rs)) for (t, i), rs in roles.items()]

    component = [s for r in parts for s in r.schemes]
    return Ring(
        scheme=SCHEME,
        members=members,
        settlement_ids=[s for r in parts for s in r.settlement_ids],
        claim_ids=[c for r in parts for c in r.claim_ids],
        evidence=_mixed_evidence(parts, links, members, component),
        features=_mixed_features(parts, members, component),
    )


def _mixed_evidence(parts: list[Ring], links: list[tuple[Ring, Ring, float, int]], members: list[Member],
                    component: list[str]) -> list[Evidence]:
    """Why the rings are one: the schemes, the members they share, then each part's own evidence, tagged."""
    names = {lang: [sep.join(scheme_name(s, lang) for s in r.schemes) for r in parts]
             for lang, sep in (("en", " + "), ("zh", "＋"))}
    evidence = [Evidence(
        "mixed_schemes",
        f"The same group of people was found running {len(component)} schemes: "
        f"{', '.join(f'{n} ({len(r.members)} members)' for n, r in zip(names['en'], parts))}; "
        f"{len(members)} members in all.",
        f"同一批人员涉及{len(component)}种作案手段："
        f"{'、'.join(f'{n}（{len(r.members)}名成员）' for n, r in zip(names['zh'], parts))}；合计{len(members)}名成员。",
        float(len(component)),
    )]
    for a, b, coef, shared in sorted(links, key=lambda x: (_scheme_key(x[0].schemes[0]), _scheme_key(x[1].schemes[0]))):
        a_en, b_en = scheme_name(a.scheme, "en"), scheme_name(b.scheme, "en")
        a_zh, b_zh = scheme_name(a.scheme, "zh"), scheme_name(b.scheme, "zh")
        evidence.append(Evidence(
            "shared_members",
            f"The {a_en} ring and the {b_en} ring have {shared} members in common "
            f"({coef:.0%} of the smaller ring, on the kinds of members both list).",
            f"{a_zh}团伙与{b_zh}团伙有{shared}名共同成员（占较小团伙同类成员的{coef:.0%}）。",
            round(coef, 3),
        ))
    for r in parts:
        tag_en, tag_zh = scheme_name(r.scheme, "en"), scheme_name(r.scheme, "zh")
        for e in r.evidence:
            if r.scheme == SCHEME:  # an already-mixed ring: keep its items and their tags as they are
                evidence.append(e)
                continue
            evidence.append(replace(e, text=f"[{tag_en}] {e.text}", text_zh=f"【{tag_zh}】{e.text_zh}", scheme=r.scheme))
    return evidence


def _mixed_features(parts: list[Ring], members: list[Member], component: list[str]) -> dict[str, float]:
    feats = [r.features for r in parts]
    strengths = [min(1.0, max(0.0, f.get("signal_strength", 0.5))) for f in feats]
    miss = 1.0
    for s in strengths:
        miss *= 1.0 - s
    return {
        "size": float(len(members)),
        "evidence_count": sum(f.get("evidence_count", 0.0) for f in feats),
        "per_member": max(f.get("per_member", 0.0) for f in feats),
        "baseline_ratio": max(f.get("baseline_ratio", 0.0) for f in feats),
        "active_days": max(f.get("active_days", 0.0) for f in feats),
        # independent detectors agreeing on the same people: noisy-OR of their strengths
        "signal_strength": round(1.0 - miss, 6),
        "schemes": float(len(component)),
        "merged_rings": float(len(parts)),
    }
