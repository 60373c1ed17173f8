"""A small, safe formula language over Decimal: hand-written tokenizer and recursive-descent parser.

Grammar (lowest precedence first)::

    expr       := 'if' expr 'then' expr 'else' expr | or
    or         := and ('or' and)*          and := not ('and' not)*      not := 'not' not | comparison
    comparison := sum (('<'|'<='|'>'|'>='|'=='|'='|'!='|'≤'|'≥'|'≠') sum)?
    sum        := product (('+'|'-'|'−') product)*     product := unary (('*'|'×'|'/'|'÷') unary)*
    unary      := ('-'|'+'|'−') unary | primary
    primary    := NUMBER | NAME | FUNC '(' expr (',' expr)* ')' | '(' expr ')' | 'true' | 'false' | if-expr

Types are checked while parsing (numbers vs true/false), so a formula that parses only fails at run
time on a missing input, division by zero, or arithmetic overflow — always as FormulaError. The parse
tree is compiled to nested closures once; nothing is ever handed to Python's eval/exec/compile.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from dingperf.perf.errors import FormulaError

MAX_LENGTH = 2000
MAX_DEPTH = 40
MAX_ROUND_PLACES = 10

Env = Mapping[str, Decimal]
Fn = Callable[[Env], object]
NUM, BOOL = "number", "true/false"

KEYWORDS = frozenset({"and", "or", "not", "if", "then", "else", "true", "false"})
FUNCTIONS: dict[str, tuple[int, int]] = {"min": (1, 64), "max": (1, 64), "clamp": (3, 3), "abs": (1, 1),
                                         "round": (1, 2)}
_SYMBOLS = {"×": "*", "÷": "/", "−": "-", "≤": "<=", "≥": ">=", "≠": "!=", "=": "=="}
_TWO_CHAR = {"<=", ">=", "==", "!="}
_ONE_CHAR = set("+-*/(),<>=") | set(_SYMBOLS)


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "num", "name", "op", "kw", "end"
    text: str
    pos: int


def tokenize(text: str) -> list[Token]:
    """Split formula text into tokens; unknown characters raise FormulaError with their position."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif "0" <= c <= "9" or (c == "." and i + 1 < n and "0" <= text[i + 1] <= "9"):
            start = i
            while i < n and "0" <= text[i] <= "9":
                i += 1
            if i < n and text[i] == ".":
                i += 1
                while i < n and "0" <= text[i] <= "9":
                    i += 1
            tokens.append(Token("num", text[start:i], start))
        elif c == "_" or c.isalpha():
            start = i
            while i < n and (text[i] == "_" or text[i].isalnum()):
                i += 1
            word = text[start:i]
            tokens.append(Token("kw" if word in KEYWORDS else "name", word, start))
        elif text[i:i + 2] in _TWO_CHAR:
            tokens.append(Token("op", text[i:i + 2], i))
            i += 2
        elif c in _ONE_CHAR:
            tokens.append(Token("op", _SYMBOLS.get(c, c), i))
            i += 1
        else:
            raise FormulaError(f"unexpected character {c!r}; use numbers, input names, + - * / ( ) and "
                               "comparisons", i)
    tokens.append(Token("end", "", n))
    return tokens


class _Parser:
    """Recursive descent that returns (static type, closure) pairs."""

    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0
        self.names: dict[str, int] = {}

    # -- token helpers -------------------------------------------------------------------------
    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        if tok.kind != "end":
            self.i += 1
        return tok

    def accept(self, kind: str, text: str) -> bool:
        tok = self.peek()
        if tok.kind == kind and tok.text == text:
            self.i += 1
            return True
        return False

    def expect(self, kind: str, text: str) -> Token:
        tok = self.peek()
        if tok.kind != kind or tok.text != text:
            found = "end of formula" if tok.kind == "end" else repr(tok.text)
            raise FormulaError(f"expected {text!r} but found {found}", tok.pos)
        return self.take()

    def enter(self, pos: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FormulaError(f"formula nests deeper than {MAX_DEPTH} levels; simplify it", pos)

    @staticmethod
    def want(kind: str, got: str, pos: int, what: str) -> None:
        if got != kind:
            raise FormulaError(f"{what} needs a {kind} but this part gives a {got}", pos)

    # -- grammar ------------------------------------------------------------------------------
    def parse(self) -> tuple[str, Fn]:
        if self.peek().kind == "end":
            raise FormulaError("formula is empty; write an expression such as 'actual / target'", 0)
        kind, fn = self.expr()
        tok = self.peek()
        if tok.kind != "end":
            raise FormulaError(f"unexpected {tok.text!r} after a complete expression", tok.pos)
        return kind, fn

    def expr(self) -> tuple[str, Fn]:
        self.enter(self.peek().pos)
        try:
            if self.peek().kind == "kw" and self.peek().text == "if":
                return self.if_expr()
            return self.or_expr()
        finally:
            self.depth -= 1

    def if_expr(self) -> tuple[str, Fn]:
        start = self.expect("kw", "if").pos
        ck, cond = self.expr()
        self.want(BOOL, ck, start, "the condition of 'if'")
        self.expect("kw", "then")
        pos_a = self.peek().pos
        ak, a = self.expr()
        self.expect("kw", "else")
        bk, b = self.expr()
        if ak != bk:
            raise FormulaError(f"'then' gives a {ak} but 'else' gives a {bk}; both must give the same kind", pos_a)
        return ak, lambda env: a(env) if cond(env) else b(env)

    def _bool_chain(self, word: str, sub: Callable[[], tuple[str, Fn]]) -> tuple[str, Fn]:
        pos = self.peek().pos
        kind, first = sub()
        parts = [first]
        while self.peek().kind == "kw" and self.peek().text == word:
            op = self.take()
            self.want(BOOL, kind, pos, f"'{word}'")
            pos = self.peek().pos
            kind, nxt = sub()
            self.want(BOOL, kind, op.pos, f"'{word}'")
            parts.append(nxt)
        if len(parts) == 1:
            return kind, first
        if word == "and":
            return BOOL, lambda env: all(p(env) for p in parts)
        return BOOL, lambda env: any(p(env) for p in parts)

    def or_expr(self) -> tuple[str, Fn]:
        return self._bool_chain("or", self.and_expr)

    def and_expr(self) -> tuple[str, Fn]:
        return self._bool_chain("and", self.not_expr)

    def not_expr(self) -> tuple[str, Fn]:
        tok = self.peek()
        if tok.kind == "kw" and tok.text == "not":
            self.take()
            self.enter(tok.pos)
            try:
                kind, fn = self.not_expr()
            finally:
                self.depth -= 1
            self.want(BOOL, kind, tok.pos, "'not'")
            return BOOL, lambda env: not fn(env)
        return self.comparison()

    def comparison(self) -> tuple[str, Fn]:
        pos = self.peek().pos
        kind, left = self.additive()
        tok = self.peek()
        if tok.kind == "op" and tok.text in ("<", "<=", ">", ">=", "==", "!="):
            self.take()
            self.want(NUM, kind, pos, f"comparison {tok.text!r}")
            rpos = self.peek().pos
            rkind, right = self.additive()
            self.want(NUM, rkind, rpos, f"comparison {tok.text!r}")
            nxt = self.peek()
            if nxt.kind == "op" and nxt.text in ("<", "<=", ">", ">=", "==", "!="):
                raise FormulaError("comparisons cannot be chained; join them with 'and'", nxt.pos)
            op = tok.text
            if op == "<":
                return BOOL, lambda env: left(env) < right(env)
            if op == "<=":
                return BOOL, lambda env: left(env) <= right(env)
            if op == ">":
                return BOOL, lambda env: left(env) > right(env)
            if op == ">=":
                return BOOL, lambda env: left(env) >= right(env)
            if op == "==":
                return BOOL, lambda env: left(env) == right(env)
            return BOOL, lambda env: left(env) != right(env)
        return kind, left

    def _arith_chain(self, ops: tuple[str, str], sub: Callable[[], tuple[str, Fn]]) -> tuple[str, Fn]:
        pos = self.peek().pos
        kind, first = sub()
        rest: list[tuple[str, int, Fn]] = []
        while self.peek().kind == "op" and self.peek().text in ops:
            op = self.take()
            self.want(NUM, kind, pos, f"{op.text!r}")
            pos = self.peek().pos
            kind, nxt = sub()
            self.want(NUM, kind, pos, f"{op.text!r}")
            rest.append((op.text, op.pos, nxt))
        if not rest:
            return kind, first
        steps = tuple(rest)

        def run(env: Env) -> Decimal:
            acc = first(env)
            for op, at, fn in steps:
                value = fn(env)
                if op == "+":
                    acc = acc + value
                elif op == "-":
                    acc = acc - value
                elif op == "*":
                    acc = acc * value
                else:
                    if not value:
                        raise FormulaError("division by zero; guard it, e.g. 'if x == 0 then 0 else y / x'", at)
                    acc = acc / value
            return acc

        return NUM, run

    def additive(self) -> tuple[str, Fn]:
        return self._arith_chain(("+", "-"), self.term)

    def term(self) -> tuple[str, Fn]:
        return self._arith_chain(("*", "/"), self.unary)

    def unary(self) -> tuple[str, Fn]:
        tok = self.peek()
        if tok.kind == "op" and tok.text in ("-", "+"):
            self.take()
            self.enter(tok.pos)
            try:
                kind, fn = self.unary()
            finally:
                self.depth -= 1
            self.want(NUM, kind, tok.pos, f"unary {tok.text!r}")
            return (NUM, (lambda env: -fn(env))) if tok.text == "-" else (NUM, fn)
        return self.primary()

    def primary(self) -> tuple[str, Fn]:
        tok = self.take()
        if tok.kind == "num":
            value = Decimal(tok.text)
            return NUM, lambda env: value
        if tok.kind == "kw" and tok.text in ("true", "false"):
            flag = tok.text == "true"
            return BOOL, lambda env: flag
        if tok.kind == "kw" and tok.text == "if":
            self.i -= 1
            return self.expr()
        if tok.kind == "op" and tok.text == "(":
            kind, fn = self.expr()
            self.expect("op", ")")
            return kind, fn
        if tok.kind == "name":
            if self.peek().kind == "op" and self.peek().text == "(":
                return self.call(tok)
            if tok.text in FUNCTIONS:
                raise FormulaError(f"{tok.text!r} is a function; call it like {tok.text}(...)", tok.pos)
            return self.name(tok)
        found = "end of formula" if tok.kind == "end" else repr(tok.text)
        raise FormulaError(f"expected a number, an input name or '(' but found {found}", tok.pos)

    def name(self, tok: Token) -> tuple[str, Fn]:
        key = tok.text
        self.names.setdefault(key, tok.pos)
        pos = tok.pos

        def lookup(env: Env) -> Decimal:
            try:
                return env[key]
            except KeyError:
                raise FormulaError(f"input {key!r} has no value; provide it or remove it from the formula",
                                   pos) from None

        return NUM, lookup

    def call(self, tok: Token) -> tuple[str, Fn]:
        name = tok.text
        if name not in FUNCTIONS:
            raise FormulaError(f"unknown function {name!r}; available: {', '.join(sorted(FUNCTIONS))}", tok.pos)
        self.expect("op", "(")
        args: list[Fn] = []
        while True:
            pos = self.peek().pos
            kind, fn = self.expr()
            self.want(NUM, kind, pos, f"argument of {name}()")
            args.append(fn)
            if not self.accept("op", ","):
                break
        self.expect("op", ")")
        low, high = FUNCTIONS[name]
        if not low <= len(args) <= high:
            expected = str(low) if low == high else f"{low} to {high}"
            raise FormulaError(f"{name}() takes {expected} arguments, got {len(args)}", tok.pos)
        return NUM, _function(name, tuple(args), tok.pos)


def _function(name: str, args: tuple[Fn, ...], pos: int) -> Fn:
    if name == "min":
        return lambda env: min(a(env) for a in args)  # type: ignore[type-var]
    if name == "max":
        return lambda env: max(a(env) for a in args)  # type: ignore[type-var]
    if name == "abs":
        (x,) = args
        return lambda env: abs(x(env))  # type: ignore[arg-type]
    if name == "clamp":
        x, lo, hi = args

        def clamp(env: Env) -> Decimal:
            low, high, value = lo(env), hi(env), x(env)
            if low > high:  # type: ignore[operator]
                raise FormulaError(f"clamp() lower bound {low} is above upper bound {high}", pos)
            return min(max(value, low), high)  # type: ignore[type-var,return-value]

        return clamp

    def round_(env: Env) -> Decimal:
        value = args[0](env)
        places = args[1](env) if len(args) == 2 else Decimal(0)
        if places != places.to_integral_value() or not 0 <= places <= MAX_ROUND_PLACES:  # type: ignore[union-attr,operator]
            raise FormulaError(f"round() places must be a whole number from 0 to {MAX_ROUND_PLACES}, got {places}",
                               pos)
        return value.quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_UP)  # type: ignore[union-attr,arg-type]

    return round_


@dataclass(frozen=True)
class Formula:
    """A parsed formula: evaluate it over named Decimal inputs; `names` lists the inputs it reads."""

    text: str
    names: frozenset[str]
    positions: Mapping[str, int] = field(repr=False, compare=False)
    _fn: Fn = field(repr=False, compare=False)

    def evaluate(self, env: Mapping[str, object]) -> Decimal:
        """Evaluate to a Decimal; any failure (missing input, ÷0, overflow) is a FormulaError."""
        scope: dict[str, Decimal] = {}
        for name in self.names:
            if name in env:
                value = env[name]
                if type(value) is not Decimal:
                    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
                        raise FormulaError(f"input {name!r} must be a number, got {value!r}", self.positions[name])
                    value = Decimal(value)
                if not value.is_finite():
                    raise FormulaError(f"input {name!r} must be finite, got {value}", self.positions[name])
                scope[name] = value
        try:
            result = self._fn(scope)
        except FormulaError:
            raise
        except ArithmeticError as exc:  # decimal Overflow / InvalidOperation on extreme values
            raise FormulaError(f"arithmetic error ({type(exc).__name__}); the numbers are out of range") from None
        if type(result) is not Decimal:
            raise FormulaError("formula gives a true/false value; wrap it as 'if ... then 1 else 0'")
        return result

    def check_names(self, available: Iterable[str]) -> None:
        """Raise FormulaError naming the first input the formula reads that is not available."""
        known = set(available)
        missing = sorted((pos, name) for name, pos in self.positions.items() if name not in known)
        if missing:
            pos, name = missing[0]
            raise FormulaError(f"unknown input {name!r}; available inputs: {', '.join(sorted(known)) or 'none'}", pos)


@lru_cache(maxsize=1024)
def parse(text: str) -> Formula:
    """Parse (and cache) a formula; syntax and type errors raise FormulaError with the position."""
    if not isinstance(text, str):
        raise FormulaError(f"formula must be text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"formula is {len(text)} characters long; the limit is {MAX_LENGTH}", MAX_LENGTH)
    parser = _Parser(text)
    kind, fn = parser.parse()
    if kind != NUM:
        raise FormulaError("formula gives a true/false value; wrap it as 'if ... then 1 else 0'", 0)
    return Formula(text=text, names=frozenset(parser.names), positions=dict(parser.names), _fn=fn)


def evaluate(text: str, env: Mapping[str, object]) -> Decimal:
    """Parse and evaluate in one call (parsing is cached)."""
    return parse(text).evaluate(env)
