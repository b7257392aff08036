"""The city-year panel schema: variables as defined in the paper, and accepted aliases."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass

KEY = ("city_id", "year")
OUTCOME = "nqp"
TREATMENT = "did"
MECHANISM = "innovp"
CONTROLS = ("fdi", "hum", "gov", "lninstra", "mar", "fin")
"""The paper's controls, in the order Table 2 adds them."""
ROBUSTNESS_CONTROLS = ("lnpgdp", "fispre")
REGRESSION_SCALE = {"mar": 100.0, "fin": 100.0}
"""Factors by which variables enter the paper's regressions relative to Table 1.

Evidence (published numbers only): a fixed-effects constant equals ȳ − x̄'b. With Table 1's
means that identity holds to rounding in Table 2 columns (1)–(5), but in columns (6)–(7) and
Table 4 only if ``mar`` and ``fin`` are in percent: column (6) implies 1.147 against the
printed 1.143, column (7) 1.295 against 1.315 (rounding bound 0.0005 × 43.9 ≈ 0.022),
Table 4 column (1) 1.667 against 1.650. It also explains their small standard errors.
``replicate.replication.implied_constants`` recomputes this."""
PAPER_VARIABLES = (OUTCOME, MECHANISM, *CONTROLS)
"""Columns a panel needs for Tables 1–3 (``did`` can be derived from the pilot lists)."""


@dataclass(frozen=True)
class Variable:
    """One column of the panel: its name in the paper, meaning and measurement."""

    name: str
    meaning: str
    measurement: str
    required: bool


VARIABLES: dict[str, Variable] = {
    v.name: v
    for v in [
        Variable(
            "city_id", "city", "ASCII id from data/raw/reference/cities.csv (e.g. suzhou_js)", True
        ),
        Variable("year", "calendar year", "integer, 2005–2022", True),
        Variable(
            "nqp",
            "new quality productive forces",
            "ln(1 + frequency of 46 keywords) in city texts",
            True,
        ),
        Variable(
            "did",
            "Broadband China pilot",
            "treat × period; derived from the pilot lists when absent",
            False,
        ),
        Variable(
            "innovp", "technological innovation (mechanism)", "patent applications per capita", True
        ),
        Variable("fdi", "foreign investment", "actually used FDI / GDP", True),
        Variable(
            "hum",
            "human capital",
            "college students per 10,000 people (Table 1's scale suggests a share)",
            True,
        ),
        Variable("gov", "government intervention", "general public budget expenditure / GDP", True),
        Variable("lninstra", "infrastructure level", "log per-capita highway mileage", True),
        Variable("mar", "marketization", "Fan Gang marketization index", True),
        Variable(
            "fin",
            "financial development",
            "deposits and loans / GDP (Table 1's scale suggests a rescaling)",
            True,
        ),
        Variable("lnpgdp", "economic development (robustness)", "log per-capita GDP", False),
        Variable(
            "fispre", "fiscal pressure (robustness)", "(expenditure − revenue) / revenue", False
        ),
        Variable(
            "nqp_alt",
            "alternative nqp indicator (robustness)",
            "an alternative keyword index",
            False,
        ),
    ]
}

ALIASES: dict[str, str] = {
    # keys
    "城市": "city",
    "城市名称": "city",
    "城市名": "city",
    "地区": "city",
    "city": "city",
    "city_name": "city",
    "cityname": "city",
    "name": "city",
    "年份": "year",
    "年": "year",
    "年度": "year",
    "yr": "year",
    "城市代码": "city_code",
    "行政区划代码": "city_code",
    "地区代码": "city_code",
    "city_code": "city_code",
    "citycode": "city_code",
    "code": "city_code",
    "adcode": "city_code",
    "cityid": "city_id",
    "city id": "city_id",
    "省份": "province",
    "省": "province",
    "province": "province",
    # variables
    "新质生产力": "nqp",
    "新质生产力指数": "nqp",
    "宽带中国": "did",
    "双重差分": "did",
    "技术创新": "innovp",
    "人均专利申请": "innovp",
    "外商投资": "fdi",
    "人力资本": "hum",
    "政府干预": "gov",
    "基础设施": "lninstra",
    "市场化": "mar",
    "市场化指数": "mar",
    "金融发展": "fin",
    "经济发展": "lnpgdp",
    "财政压力": "fispre",
}
"""Alternative spellings of columns (compared after stripping and lower-casing)."""


# ----------------------------------------------------------------------------- roles

ROLE_NAMES = ("unit", "time", "outcome", "cohort", "treatment", "controls", "cluster")
"""The roles a staggered panel's columns play (the estimators' shared vocabulary)."""
LIST_ROLES = frozenset({"outcome", "controls"})
ROLE_ALIASES = {
    "outcomes": "outcome",
    "y": "outcome",
    "id": "unit",
    "i": "unit",
    "idname": "unit",
    "t": "time",
    "period": "time",
    "tname": "time",
    "g": "cohort",
    "gname": "cohort",
    "first_treat": "cohort",
    "treat": "treatment",
    "d": "treatment",
    "did": "treatment",
    "control": "controls",
    "covariates": "controls",
    "x": "controls",
    "clusters": "cluster",
}
"""Other names a role may be given by (R ``did``'s ``idname``/``tname``/``gname``, …)."""


@dataclass(frozen=True)
class Roles:
    """Which column of a staggered panel plays which role.

    A panel is described by its roles, not by fixed names: ``unit`` and ``time`` identify
    a row, ``outcomes`` are the outcome variables (the first is ``outcome``), the timing
    is either ``cohort`` (first treated period; 0, missing, ±inf or a period after the
    last one = never treated) or a 0/1 ``treatment`` that switches on once and stays on
    (its first period gives the cohort), ``controls`` are covariates and ``cluster`` the
    clustering column (the unit by default). :data:`PAPER` is the paper's panel as one
    named instance.

    Build one with :func:`parse_roles` from a dict (``{"unit": "countyreal", "time":
    "year", "outcome": "lemp", "cohort": "first.treat"}``) or the command line's text
    (``"unit=countyreal,time=year,outcome=lemp,cohort=first.treat"``).
    """

    unit: str
    time: str
    outcomes: tuple[str, ...]
    cohort: str | None = None
    treatment: str | None = None
    controls: tuple[str, ...] = ()
    cluster: str | None = None
    name: str = ""

    def __post_init__(self) -> None:
        if self.cluster is None:
            object.__setattr__(self, "cluster", self.unit)

    @property
    def outcome(self) -> str:
        """The first (main) outcome."""
        return self.outcomes[0]

    @property
    def is_paper(self) -> bool:
        return self.name == "paper"

    def pairs(self) -> list[tuple[str, str]]:
        """``(role, column)`` for every column named, in role order (lists expanded)."""
        out = [("unit", self.unit), ("time", self.time)]
        out += [("outcome", c) for c in self.outcomes]
        out += [(r, getattr(self, r)) for r in ("cohort", "treatment") if getattr(self, r)]
        out += [("controls", c) for c in self.controls] + [("cluster", str(self.cluster))]
        return out

    def columns(self) -> list[str]:
        """Every column the roles name, once, in role order."""
        named = [self.unit, self.time, *self.outcomes, self.cohort, self.treatment]
        return list(dict.fromkeys(c for c in (*named, *self.controls, self.cluster) if c))

    def as_dict(self) -> dict[str, object]:
        """The roles as a parameter dict (lists for outcome and controls; None left out)."""
        out: dict[str, object] = {"unit": self.unit, "time": self.time}
        out["outcome"] = list(self.outcomes)
        for key in ("cohort", "treatment"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.controls:
            out["controls"] = list(self.controls)
        if self.cluster != self.unit:
            out["cluster"] = self.cluster
        return out

    def as_text(self) -> str:
        """The roles as ``--columns`` text: ``unit=…,time=…,outcome=a+b,…``."""
        return ",".join(
            f"{k}={'+'.join(v) if isinstance(v, list) else v}" for k, v in self.as_dict().items()
        )


PAPER = Roles(
    unit=KEY[0],
    time=KEY[1],
    outcomes=(OUTCOME,),
    cohort="g",
    treatment=TREATMENT,
    controls=CONTROLS,
    cluster=KEY[0],
    name="paper",
)
"""The paper's city-year panel as roles (``g`` is derived from the pilot lists)."""
NAMED_ROLES = {"paper": PAPER}


def _role_key(key: str) -> str:
    norm = key.strip().lower()
    norm = ROLE_ALIASES.get(norm, norm)
    if norm not in ROLE_NAMES:
        close = difflib.get_close_matches(norm, [*ROLE_NAMES, *ROLE_ALIASES], n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(
            f"columns: unknown role {key!r}{hint}; the roles are {', '.join(ROLE_NAMES)}, "
            "e.g. unit=countyreal,time=year,outcome=lemp,cohort=first.treat"
        )
    return norm


def _split_list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        parts = value.replace(";", "+").split("+")
        return [p.strip() for p in parts if p.strip()]
    return [str(v).strip() for v in value if str(v).strip()]


def parse_roles(columns: Roles | Mapping[str, object] | str | None) -> Roles:
    """Roles from a dict, the command line's text, a name (``"paper"``) or None (paper).

    Text is ``role=column`` pairs separated by commas; a role with several columns
    (``outcome``, ``controls``) joins them with ``+`` or ``;``, or lists them after the
    role: ``controls=lpop,x2`` (a bare name continues the role before it). Raises
    ``ValueError`` naming the role and the fix for an unknown role, a role given twice,
    or missing ``unit``/``time``/``outcome`` or timing (``cohort`` or ``treatment``).
    """
    if columns is None:
        return PAPER
    if isinstance(columns, Roles):
        return columns
    if isinstance(columns, str):
        text = columns.strip()
        if text.lower() in NAMED_ROLES:
            return NAMED_ROLES[text.lower()]
        pairs: dict[str, object] = {}
        last = None
        for token in (t.strip() for t in text.split(",")):
            if not token:
                continue
            if "=" not in token:
                if last in LIST_ROLES:
                    pairs[last] = [*_split_list(pairs[last]), token]
                    continue
                raise ValueError(
                    f"columns: {token!r} is not role=column; write e.g. "
                    "unit=countyreal,time=year,outcome=lemp,cohort=first.treat"
                )
            key, _, value = token.partition("=")
            key = _role_key(key)
            if key in pairs:
                more = f" (several columns as {key}=a+b)" if key in LIST_ROLES else ""
                raise ValueError(f"columns: role {key!r} given twice; give it once{more}")
            pairs[key] = value.strip()
            last = key
        columns = pairs
    if not isinstance(columns, Mapping):
        raise ValueError(
            f"columns must be a dict of role → column, text such as "
            f"'unit=countyreal,time=year,outcome=lemp,cohort=first.treat', or 'paper'; "
            f"not {type(columns).__name__}"
        )
    roles: dict[str, object] = {}
    for key, value in columns.items():
        role = _role_key(str(key))
        if role in roles:
            raise ValueError(f"columns: role {role!r} given twice ({key!r}); give it once")
        roles[role] = value
    for role in ("unit", "time", "cohort", "treatment", "cluster"):
        value = roles.get(role)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"columns: {role} names one column, not {value!r}")
        if isinstance(value, str):
            roles[role] = value.strip() or None
    outcomes = tuple(_split_list(roles.get("outcome")))
    missing = [r for r in ("unit", "time") if not roles.get(r)] + ([] if outcomes else ["outcome"])
    if not (roles.get("cohort") or roles.get("treatment")):
        missing.append("cohort (first treated period) or treatment (0/1)")
    if missing:
        raise ValueError(
            f"columns: no column named for {', '.join(missing)}; "
            "e.g. unit=countyreal,time=year,outcome=lemp,cohort=first.treat"
        )
    keys = {r: roles.get(r) for r in ("unit", "time", "cohort", "treatment") if roles.get(r)}
    for column in dict.fromkeys((*keys.values(), *outcomes)):
        named = [r for r, c in keys.items() if c == column] + (
            ["outcome"] if column in outcomes else []
        )
        if len(named) > 1:
            raise ValueError(
                f"columns: {column!r} is named for {' and '.join(named)}; each of unit, time, "
                "outcome and the timing needs its own column"
            )
    return Roles(
        unit=str(roles["unit"]),
        time=str(roles["time"]),
        outcomes=outcomes,
        cohort=roles.get("cohort"),
        treatment=roles.get("treatment"),
        controls=tuple(_split_list(roles.get("controls"))),
        cluster=roles.get("cluster"),
    )
