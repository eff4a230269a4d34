"""Claim C5's answer as a result (issue 18): the dict of :func:`boostphase.claims.c5.analyse`
(every key as before, JSON as before) with a one-line repr, tables (``to_dataframe``,
``to_xarray``), a notebook table and ``plot()``. Kept apart from :mod:`boostphase.claims.c5`,
which is close to the 800-line limit.

Probabilities are fractions (0-1) in columns named ``p_...``; times in s after launch.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..results import ResultMixin, dataset, frame, nan_if_none, percent

OVERALL = "overall"
"""The ``target`` label of the targets mixed with their weights (``result["overall"]``)."""



class C5Answer(ResultMixin, dict):
    """P(payload on Russian land | intercept) per target and firing policy, with 95 % intervals;
    ``answer["targets"]["Chicago"]["policies"]["earliest"]["p_russia_land"]`` as before."""

    plot_kind = "c5"

    def to_dict(self) -> dict:
        return dict(self)

    def result_title(self) -> str:
        n = self.get("conditions", {}).get("n_per_target")
        targets = ", ".join(self.get("targets", {}))
        return targets + ("" if n is None else f" (n = {n:,} per target)")

    def key_figures(self) -> list[tuple[str, str]]:
        """Each policy's overall P(Russian land | intercept) with its 95 % interval."""
        out = []
        for policy, r in self.get("overall", {}).items():
            lo, hi = r["ci95"]
            out.append((policy, f"{percent(r['p_russia_land'])} [{percent(lo)}-{percent(hi)}]"))
        return out

    def verdict_line(self) -> str | None:
        """Each target's verdict, its first sentence (the whole text: ``["targets"][t]["verdict"]``)."""
        heads = [a["verdict"].split(". ", 1)[0] for a in self.get("targets", {}).values()]
        return ". ".join(heads) + "." if heads else None

    def policy_rows(self) -> list[dict]:
        """One row per (target, policy), then the ``overall`` rows: P(Russian land | intercept),
        its interval, the intercepts counted and P(no intercept before burnout)."""
        rows = []
        blocks = [(t, a["policies"]) for t, a in self.get("targets", {}).items()]
        for target, policies in [*blocks, (OVERALL, self.get("overall", {}))]:
            for policy, r in policies.items():
                rows.append({"target": target, "policy": policy, "p_russia_land": nan_if_none(r["p_russia_land"]),
                             "ci95_low": nan_if_none(r["ci95"][0]), "ci95_high": nan_if_none(r["ci95"][1]), "n": int(r["n"]),
                             "p_no_intercept": nan_if_none(r["p_no_intercept"]["p"])})
        return rows

    def time_rows(self) -> list[dict]:
        """P(payload on Russian land | intercept at t) against t for every target."""
        rows = []
        for target, a in self.get("targets", {}).items():
            c = a["russia_by_intercept_time"]
            rows += [{"target": target, "t_s": float(t), "p_russia_land": nan_if_none(p), "burning": float(w)}
                     for t, p, w in zip(c["t_s"], c["p_russia_land"], c["burning"], strict=True)]
        return rows

    def to_dataframe(self, table: str = "policies"):
        """``policies``: one row per (target, policy) and the overall rows; ``by_time``: the
        P(Russian land | intercept at t) curves, one row per (target, t)."""
        tables = {"policies": self.policy_rows, "by_time": self.time_rows}
        if table not in tables:
            raise InputError("table", table, "policies or by_time")
        rows = tables[table]()
        return frame({k: [r[k] for r in rows] for k in rows[0]}, {"result": repr(self)})

    def to_xarray(self):
        """Probabilities on the dimensions ``target`` (the targets, then ``overall``) and
        ``policy``; the curves as ``p_russia_land_by_time`` on (``target``, ``t_s``), NaN where
        a target's boost has ended."""
        rows = self.policy_rows()
        targets = list(dict.fromkeys(r["target"] for r in rows))
        policies = list(dict.fromkeys(r["policy"] for r in rows))
        at = {(r["target"], r["policy"]): r for r in rows}
        data = {k: (("target", "policy"), np.array([[nan_if_none(at[(t, p)][k]) if (t, p) in at else np.nan
                                                      for p in policies] for t in targets]))
                for k in ("p_russia_land", "ci95_low", "ci95_high", "n", "p_no_intercept")}
        curve = self.time_rows()
        t_s = np.unique([round(r["t_s"], 9) for r in curve])
        by_t = np.full((len(targets), t_s.size), np.nan)
        for r in curve:
            by_t[targets.index(r["target"]), np.searchsorted(t_s, round(r["t_s"], 9))] = r["p_russia_land"]
        data["p_russia_land_by_time"] = (("target", "t_s"), by_t)
        coords = {"target": ("target", targets), "policy": ("policy", policies), "t_s": ("t_s", t_s)}
        return dataset(data, coords, {"result": repr(self), "claim": "C5", "summary": self.get("summary")})
