"""Detectors' DuckDB SQL as Spark SQL: sqlglot, plus the rewrites where the two engines differ.

There is one copy of every detector's SQL, written for DuckDB.  For Spark it
is parsed with sqlglot (``read="duckdb"``) and generated for Spark (as splink
does to target several engines).  sqlglot's generic translation is right for
most of it; where the *meaning* of a function differs between the engines it
is rewritten here, so that both engines give the same answer:

* ``date_diff(unit, a, b)`` counts unit *boundaries* in DuckDB; Spark's
  ``datediff``/``timestampdiff`` count *whole units elapsed*: rewritten to
  boundary arithmetic (days between dates, year numbers, hour numbers);
* ``list(...)`` is NULL over no rows in DuckDB, ``collect_list`` gives ``[]``;
  ``list(x ORDER BY k)`` keeps an order that ``collect_list`` does not;
* ``dayofweek``, ``epoch``, ``len(list)``, ``list_*`` functions, ``quantile``
  (discrete in DuckDB, interpolated ``percentile`` in Spark);
* ``a / b`` divides in DOUBLE in DuckDB, in DECIMAL (6 decimals) in Spark when
  both are decimals: the dividend is cast to DOUBLE;
* parameters (``$name``, ``?``) are bound as literals: the values are the
  detectors' settings (numbers, booleans), never user text, and are rendered
  by sqlglot's literal builder, not by string formatting.

Anything sqlglot cannot parse raises :class:`DialectError` naming the SQL's
first line, so a new detector step that needs a rewrite is found by the
parity test, not in production.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import sqlglot
from sqlglot import exp


class DialectError(ValueError):
    """A DuckDB statement this module cannot give to Spark."""


def bind(tree: exp.Expression, params: Mapping[str, Any] | Sequence[Any] | None) -> exp.Expression:
    """Replace ``$name`` / ``?`` placeholders by literals of the given values."""
    positional = list(params) if params is not None and not isinstance(params, Mapping) else []
    named = params if isinstance(params, Mapping) else {}
    order = iter(positional)

    def literal(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Placeholder):
            return node
        name = node.name
        if name and name != "?":
            if name not in named:
                raise DialectError(f"no value for parameter ${name}")
            value = named[name]
        else:
            try:
                value = next(order)
            except StopIteration:
                raise DialectError("fewer values than ? placeholders") from None
        return exp.convert(value)

    return tree.transform(literal)


def _date_diff(node: exp.DateDiff) -> exp.Expression:
    unit = (node.unit.name if node.unit else "day").lower()
    end, start = node.this, node.expression
    if unit == "day":
        return exp.func("datediff", exp.cast(end, "date"), exp.cast(start, "date"))
    if unit == "year":
        return exp.Sub(this=exp.func("year", end), expression=exp.func("year", start))
    if unit == "month":
        return exp.Sub(
            this=exp.Add(this=exp.Mul(this=exp.func("year", end), expression=exp.Literal.number(12)),
                         expression=exp.func("month", end)),
            expression=exp.Add(this=exp.Mul(this=exp.func("year", start), expression=exp.Literal.number(12)),
                               expression=exp.func("month", start)))
    if unit == "hour":
        def hours(x: exp.Expression) -> exp.Expression:
            return exp.func("floor", exp.Div(this=_epoch(x), expression=exp.Literal.number(3600)))
        return exp.Sub(this=hours(end), expression=hours(start))
    raise DialectError(f"date_diff unit {unit!r} has no Spark rewrite")


def _epoch(x: exp.Expression) -> exp.Expression:
    """Seconds since 1970 of a naive timestamp (the session time zone is UTC)."""
    return exp.Div(this=exp.func("unix_micros", exp.cast(x, "timestamp")), expression=exp.Literal.number(1000000))


def _collect(node: exp.List, where: exp.Expression | None) -> exp.Expression:
    """DuckDB ``list(...)`` [FILTER]: ordered like DuckDB's ORDER BY, NULL when no row."""
    inner = node.expressions[0] if node.expressions else node.this
    order: list[exp.Ordered] = []
    if isinstance(inner, exp.Order):
        order = list(inner.expressions)
        inner = inner.this
    distinct = isinstance(inner, exp.Distinct)
    value = inner.expressions[0] if distinct else inner

    def agg(fn: str, arg: exp.Expression) -> exp.Expression:
        call = exp.func(fn, arg)
        return exp.Filter(this=call, expression=exp.Where(this=where.copy())) if where is not None else call

    if distinct:
        arr = agg("collect_set", value)
        if order:
            if len(order) != 1 or order[0].this != value or order[0].args.get("desc"):
                raise DialectError("list(DISTINCT x ORDER BY y) needs y = x, ascending")
            arr = exp.func("array_sort", arr)
    elif order:
        if len(order) != 1 or order[0].args.get("desc"):
            raise DialectError("list(x ORDER BY ...) supports one ascending key")
        pairs = agg("collect_list", exp.func("named_struct", exp.Literal.string("k"), order[0].this,
                                             exp.Literal.string("v"), value))
        arr = sqlglot.parse_one(f"transform(array_sort({pairs.sql('spark')}), s -> s.v)", read="spark")
    else:
        arr = agg("collect_list", value)
    return exp.If(this=exp.EQ(this=exp.func("size", arr.copy()), expression=exp.Literal.number(0)),
                  true=exp.Null(), false=arr)


def _rewrite(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Filter) and isinstance(node.this, exp.List):
        return _collect(node.this, node.expression.this)
    if isinstance(node, exp.List) and not isinstance(node.parent, exp.Filter):
        return _collect(node, None)
    if isinstance(node, exp.DateDiff):  # parenthesised: it may sit inside `... / 24.0`
        diff = _date_diff(node)
        return diff if isinstance(diff, exp.Func) else exp.Paren(this=diff)
    if isinstance(node, exp.DayOfWeek):  # DuckDB: Sunday 0 ... Saturday 6; Spark: Sunday 1
        return exp.Paren(this=exp.Sub(this=exp.func("dayofweek", node.this), expression=exp.Literal.number(1)))
    if isinstance(node, exp.Length) and not isinstance(node.this, (exp.Column, exp.Literal)):
        return exp.func("size", node.this)  # the detectors' len(...) of an expression is always of a list
    if isinstance(node, exp.Anonymous):
        return _anonymous(node)
    if isinstance(node, exp.Tuple) and isinstance(node.parent, (exp.ArgMax, exp.ArgMin, exp.Ordered)):
        return exp.func("struct", *node.expressions)
    if isinstance(node, exp.Window) and isinstance(node.this, exp.Count) and isinstance(node.this.this, exp.Distinct):
        win = node.copy()  # Spark has no DISTINCT in window aggregates: the size of the set instead
        win.set("this", exp.func("collect_set", *node.this.this.expressions))
        return exp.func("size", win)
    if isinstance(node, exp.Window) and isinstance(node.parent, exp.Binary):
        return exp.Paren(this=node.copy())  # Spark reads `OVER w - x` as a window named `w-x`
    return _rewrite_clause(node)


def _rewrite_clause(node: exp.Expression) -> exp.Expression:
    """The second half of :func:`_rewrite` (split to keep each under the complexity cap)."""
    if isinstance(node, exp.Select) and node.args.get("group"):
        _first_of_subqueries(node)
        return node
    if isinstance(node, exp.Div):  # DuckDB's `/` divides in DOUBLE; Spark keeps DECIMAL operands in DECIMAL
        return exp.Div(this=exp.cast(node.this, "double"), expression=node.expression)
    if isinstance(node, exp.ArrayOverlaps):  # list_has_any: Spark has no `&&` on arrays
        return exp.func("arrays_overlap", node.this, node.expression)
    if isinstance(node, exp.Table) and isinstance(node.this, exp.GenerateSeries):
        return _series(node)
    if isinstance(node, exp.SimilarTo):  # DuckDB SIMILAR TO is a whole-string regular expression
        pattern = node.expression
        if not isinstance(pattern, exp.Literal):
            raise DialectError("SIMILAR TO needs a literal pattern on Spark")
        return exp.RegexpLike(this=node.this, expression=exp.Literal.string(f"^(?:{pattern.this})$"))
    if isinstance(node, exp.CTE) and node.args.get("materialized") is not None:
        node.set("materialized", None)  # a planner hint only; Spark has no syntax for it
        return node
    if isinstance(node, exp.PercentileCont) and node.expression is not None:  # interpolated in both engines
        return exp.func("percentile", node.this, node.expression)
    if isinstance(node, exp.Quantile):  # DuckDB quantile = quantile_disc
        return exp.func("percentile_disc", node.this, node.args.get("quantile"))
    return node


def _first_of_subqueries(select: exp.Select) -> None:
    """Scalar subqueries in a grouped SELECT list: Spark wants them inside an aggregate.

    DuckDB evaluates ``(SELECT count(*) FROM c WHERE c.grp = t.grp)`` once per
    group when it is correlated on grouping columns; Spark refuses to plan it
    unless it is aggregated.  ``first(...)`` of a value that is the same for
    every row of the group is that value."""
    for projection in select.expressions:
        for sub in list(projection.find_all(exp.Subquery)):
            if isinstance(sub.this, exp.Select) and sub.find_ancestor(exp.AggFunc, exp.Select) is select:
                sub.replace(exp.func("first", sub.copy()))


def _series(node: exp.Table) -> exp.Expression:
    """DuckDB ``range(a, b) AS o(x)`` (or ``generate_series``, end included) as a Spark subquery."""
    series = node.this
    alias = node.args.get("alias")
    if alias is None or len(alias.columns) != 1:
        raise DialectError("range()/generate_series() in FROM needs an alias with one column, e.g. o(shift)")
    start, end = series.args["start"].sql("spark"), series.args["end"].sql("spark")
    stop = end if series.args.get("is_end_exclusive") else f"({end}) + 1"
    return sqlglot.parse_one(f"SELECT 1 FROM (SELECT id AS {alias.columns[0].name} FROM range({start}, {stop})) "
                             f"AS {alias.name}", read="spark").args["from_"].this


def _anonymous(node: exp.Anonymous) -> exp.Expression:
    name = node.name.lower()
    args = node.expressions
    renames = {"list_distinct": "array_distinct", "list_contains": "array_contains",
               "list_has_any": "arrays_overlap", "array_to_string": "array_join", "len": "size"}
    if name in renames:
        return exp.func(renames[name], *args)
    if name == "lgamma":  # Spark has no log-gamma; the detectors take it of whole counts + 1: ln((n)!)
        top = f"(CAST({args[0].sql('spark')} AS BIGINT) - 1)"  # lgamma(a) = ln 2 + ... + ln(a - 1)
        return sqlglot.parse_one(f"IF({top} < 2, 0D, aggregate(sequence(2, {top}), 0D, (acc, i) -> acc + ln(i)))",
                                 read="spark")
    if name == "epoch":
        return _epoch(args[0])
    if name == "printf":  # DuckDB: NULL in, NULL out; Java's formatter writes "null"
        return exp.If(this=exp.Or(this=exp.Is(this=args[1].copy(), expression=exp.Null()),
                                  expression=exp.false()) if len(args) > 1 else exp.false(),
                      true=exp.Null(), false=node.copy())
    if name == "hash":
        raise DialectError("hash() differs between engines; use md5()")
    return node


def name_placeholders(sql: str, params: Sequence[Any]) -> tuple[str, dict[str, Any]]:
    """``?`` placeholders renamed ``$_rs_p0, $_rs_p1, ...`` in the order they are written, with their values.

    DuckDB binds ``?`` in text order; a walk of the parsed tree does not visit them in that order
    (a CTE's placeholders come after the outer SELECT's), so positional values are matched to the
    placeholders' positions in the text, found by the tokenizer (never inside a string or comment)."""
    from sqlglot.dialects.duckdb import DuckDB
    from sqlglot.tokens import TokenType

    try:
        marks = [t for t in DuckDB().tokenize(sql) if t.token_type == TokenType.PLACEHOLDER and t.text == "?"]
    except sqlglot.errors.TokenError as exc:
        raise DialectError(f"cannot read {sql.strip().splitlines()[0][:80]!r}: {exc}") from None
    if len(marks) != len(params):
        raise DialectError(f"{len(marks)} ? placeholders but {len(params)} values")
    out, last = [], 0
    for i, mark in enumerate(marks):
        out.append(f"{sql[last:mark.start]}$_rs_p{i}")
        last = mark.end + 1
    out.append(sql[last:])
    return "".join(out), {f"_rs_p{i}": value for i, value in enumerate(params)}


def to_spark(sql: str, params: Mapping[str, Any] | Sequence[Any] | None = None) -> exp.Expression:
    """One DuckDB statement, parameters bound, rewritten for Spark (an expression tree)."""
    if params is not None and not isinstance(params, Mapping) and len(params):
        sql, params = name_placeholders(sql, list(params))
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise DialectError(f"cannot parse {sql.strip().splitlines()[0][:80]!r}: {exc}") from None
    return _bottom_up(bind(tree, params))


def _bottom_up(tree: exp.Expression) -> exp.Expression:
    """Apply the rewrites children first, so a rewritten call still has its arguments rewritten."""
    for node in reversed(list(tree.dfs())):
        new = _rewrite(node)
        if new is not node:
            if node is tree:
                return new
            node.replace(new)
    return tree


def spark_text(tree: exp.Expression) -> str:
    return tree.sql(dialect="spark")
