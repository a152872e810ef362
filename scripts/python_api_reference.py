#!/usr/bin/env python3
"""The API reference of the Python package ``outpost`` (docs/python.md, "API reference"), generated from its
docstrings, so the page cannot drift from the code.

    PYTHONPATH=build/python python3 scripts/python_api_reference.py                         # Markdown on stdout
    PYTHONPATH=build/python python3 scripts/python_api_reference.py --write docs/python.md  # between the markers
    PYTHONPATH=build/python python3 scripts/python_api_reference.py --check docs/python.md  # exit 1 when stale

It imports the package found on PYTHONPATH: after a build, build/python holds the copies of bindings/outpost/*.py
and the compiled ``_outpost`` (the target ``outpost_python`` refreshes them). The public API is ``outpost.__all__``
(else the package's public names): functions, classes with their public methods, properties and documented class
attributes, and the exception hierarchy; plus the type aliases the signatures name. Top-level names are sorted by
name (exceptions as their hierarchy), members keep their order in the source. The output depends on the code
only: no addresses, no private names, no interpreter noise.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import difflib
import functools
import importlib
import inspect
import io
import pkgutil
import re
import sys
import textwrap
import tokenize
from typing import Any, Dict, Iterator, List, Optional, Tuple

PACKAGE = "outpost"
BEGIN = "<!-- api-reference:begin -->"
END = "<!-- api-reference:end -->"
COMMAND = "PYTHONPATH=build/python python3 scripts/python_api_reference.py --write {file}"

# ---------------------------------------------------------------------------------------------- docstring text
_ROLE = re.compile(r":(?:py:)?(\w+):`(~?)([^`]+)`")
_LITERAL = re.compile(r"``([^`]+)``")


def markdown(doc: str) -> str:
    """reStructuredText roles and literals as Markdown code spans: :class:`~outpost.Topology` -> `Topology`,
    :meth:`build` -> `build()`, ``x`` -> `x`."""

    def role(match: "re.Match[str]") -> str:
        kind, short, target = match.groups()
        name = target.rsplit(".", 1)[-1] if short else target
        if kind in ("meth", "func") and not name.endswith(")"):
            name += "()"
        return f"`{name}`"

    return _LITERAL.sub(r"`\1`", _ROLE.sub(role, doc))


def own_doc(obj: Any) -> str:
    """An object's own docstring, cleaned; empty when it has none (never a base class's or a builtin's)."""
    doc = getattr(obj, "__doc__", None)
    if not isinstance(doc, str):
        return ""
    if inspect.isclass(obj) and dataclasses.is_dataclass(obj) and doc.startswith(obj.__name__ + "("):
        return ""  # the signature dataclasses write when a class has no docstring
    return inspect.cleandoc(doc)


def indented(text: str, prefix: str) -> str:
    """Continuation lines of a list item: indented, blank lines kept blank."""
    return "\n".join(prefix + line if line.strip() else "" for line in text.splitlines())


# ---------------------------------------------------------------------------------------------- signatures
_QUALIFIED = re.compile(r"\b(?:typing|builtins|" + PACKAGE + r")\.(?:[A-Za-z_]\w*\.)*")


_FORWARD_REFERENCE = re.compile(r"(['\"])([A-Za-z_][\w.]*)\1")


def annotation_text(annotation: Any) -> str:
    """Annotations as written (the package uses postponed annotations: strings), without module prefixes and the
    quotes of forward references (``'Node'`` -> ``Node``)."""
    text = annotation if isinstance(annotation, str) else inspect.formatannotation(annotation)
    if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    return _QUALIFIED.sub("", _FORWARD_REFERENCE.sub(r"\2", text))


def value_text(value: Any) -> str:
    """A default or class attribute's value; objects without a literal form by name (no ``<... at 0x...>``)."""
    text = repr(value)
    if text.startswith("<") or " at 0x" in text:
        return getattr(value, "__qualname__", None) or getattr(value, "__name__", None) or "..."
    return text


def dataclass_defaults(cls: Any) -> Dict[str, str]:
    """A dataclass's default factories as the value they make (``examples: List[str] = []``)."""
    out: Dict[str, str] = {}
    if inspect.isclass(cls) and dataclasses.is_dataclass(cls):
        for entry in dataclasses.fields(cls):
            factory = entry.default_factory
            if factory is not dataclasses.MISSING:
                out[entry.name] = repr(factory()) if factory in (list, dict, set, tuple) else f"{factory.__name__}()"
    return out


def render_signature(signature: inspect.Signature, drop_first: bool, defaults: Dict[str, str]) -> str:
    parameters = list(signature.parameters.values())
    if drop_first and parameters and parameters[0].kind in (inspect.Parameter.POSITIONAL_ONLY,
                                                            inspect.Parameter.POSITIONAL_OR_KEYWORD):
        parameters = parameters[1:]
    parts: List[str] = []
    star_written = False
    for index, parameter in enumerate(parameters):
        if parameter.kind == inspect.Parameter.KEYWORD_ONLY and not star_written:
            parts.append("*")
            star_written = True
        text = parameter.name
        if parameter.kind == inspect.Parameter.VAR_POSITIONAL:
            text, star_written = "*" + text, True
        elif parameter.kind == inspect.Parameter.VAR_KEYWORD:
            text = "**" + text
        annotated = parameter.annotation is not inspect.Parameter.empty
        if annotated:
            text += ": " + annotation_text(parameter.annotation)
        if parameter.default is not inspect.Parameter.empty:
            default = defaults.get(parameter.name) or value_text(parameter.default)
            text += (" = " if annotated else "=") + default
        parts.append(text)
        following = parameters[index + 1] if index + 1 < len(parameters) else None
        if parameter.kind == inspect.Parameter.POSITIONAL_ONLY and (
                following is None or following.kind != inspect.Parameter.POSITIONAL_ONLY):
            parts.append("/")
    text = "(" + ", ".join(parts) + ")"
    if signature.return_annotation is not inspect.Signature.empty:
        text += " -> " + annotation_text(signature.return_annotation)
    return text


_DOC_SIGNATURE = re.compile(r"^(\w+)(\(.*\))(\s*->\s*.+)?$")


def docstring_signature(doc: str, drop_first: bool) -> Optional[Tuple[str, str]]:
    """pybind11 writes no __signature__; its docstrings start with ``name(self: T, a: int) -> int``. Returns
    (the parameters and return, the docstring without that line), or None."""
    lines = doc.splitlines()
    match = _DOC_SIGNATURE.match(lines[0].strip()) if lines else None
    if not match:
        return None
    parameters = match.group(2)[1:-1]
    if drop_first:
        parameters = re.sub(r"^\s*self(?::[^,]*)?(,\s*)?", "", parameters)
    returns = match.group(3) or ""
    if match.group(1) == "__init__":
        returns = ""
    rest = "\n".join(lines[1:]).strip()
    return annotation_text(f"({parameters}){returns.strip() and ' ' + returns.strip()}"), rest


def signature_and_doc(obj: Any, drop_first: bool, doc: str) -> Tuple[str, str]:
    """``(parameters) -> return`` of a callable (a class: its constructor's parameters) and the docstring to show
    with it."""
    try:
        signature = inspect.signature(obj)
        if inspect.isclass(obj):
            signature = signature.replace(return_annotation=inspect.Signature.empty)
        return render_signature(signature, drop_first, dataclass_defaults(obj)), doc
    except (TypeError, ValueError):
        pass
    # A compiled function or class: its signature is the first line of its (or its constructor's) docstring.
    target = obj.__init__ if inspect.isclass(obj) else obj
    from_doc = docstring_signature(inspect.cleandoc(getattr(target, "__doc__", None) or ""),
                                   drop_first or target is not obj)
    if from_doc is not None:
        parameters, rest = from_doc
        return parameters, (rest if target is obj else doc)
    return "(...)", doc


# ---------------------------------------------------------------------------------------------- source comments
def _comments(source: str) -> Dict[int, Tuple[str, bool]]:
    """line -> (comment text, whether it is the whole line)."""
    out: Dict[int, Tuple[str, bool]] = {}
    lines = source.splitlines()
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                line = token.start[0]
                out[line] = (token.string, lines[line - 1].lstrip().startswith("#"))
    except (tokenize.TokenError, IndentationError):
        pass
    return out


def attribute_docs(body: List[ast.stmt], source: str) -> Dict[str, str]:
    """The documentation of the simple assignments in a class or module body: ``#:`` comment lines just above
    (Sphinx's convention), a string literal just below (PEP 257's attribute docstrings), else a trailing
    comment."""
    comments = _comments(source)
    out: Dict[str, str] = {}
    for index, statement in enumerate(body):
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            name = statement.target.id
        elif (isinstance(statement, ast.Assign) and len(statement.targets) == 1
              and isinstance(statement.targets[0], ast.Name)):
            name = statement.targets[0].id
        else:
            continue
        above: List[str] = []
        line = statement.lineno - 1
        while line in comments and comments[line][1] and comments[line][0].startswith("#:"):
            above.insert(0, comments[line][0][2:].strip())
            line -= 1
        following = body[index + 1] if index + 1 < len(body) else None
        if above:
            out[name] = " ".join(above)
        elif (isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant)
              and isinstance(following.value.value, str)):
            out[name] = inspect.cleandoc(following.value.value)
        else:
            trailing = [comments[number][0][1:].strip() for number in range(statement.lineno, statement.end_lineno + 1)
                        if number in comments and not comments[number][1]]
            if trailing:
                out[name] = " ".join(trailing)
    return out


@functools.lru_cache(maxsize=None)
def class_attribute_docs(cls: Any) -> Dict[str, str]:
    try:
        source = textwrap.dedent(inspect.getsource(cls))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        return {}
    definition = tree.body[0] if tree.body and isinstance(tree.body[0], ast.ClassDef) else None
    return attribute_docs(definition.body, source) if definition is not None else {}


def attribute_doc(cls: Any, name: str) -> str:
    """An attribute's documentation in the nearest class of the MRO that documents it."""
    for klass in cls.__mro__:
        if klass is object or klass.__module__ == "builtins":
            continue
        doc = class_attribute_docs(klass).get(name)
        if doc:
            return doc
    return ""


# ---------------------------------------------------------------------------------------------- the package
def public_names(package: Any) -> List[str]:
    names = getattr(package, "__all__", None)
    if names is None:
        names = [name for name, value in vars(package).items()
                 if not name.startswith("_") and not inspect.ismodule(value)
                 and str(getattr(value, "__module__", "")).startswith(package.__name__)]
    return sorted(set(names))


def is_public_member(name: str) -> bool:
    return not name.startswith("_")


def member_doc(cls: Any, name: str, value: Any) -> str:
    """A member's own docstring, else the one of the member it overrides."""
    doc = own_doc(value.fget if isinstance(value, property) else getattr(value, "__func__", value))
    if doc:
        return doc
    for klass in cls.__mro__[1:]:
        if name in vars(klass):
            return member_doc(klass, name, vars(klass)[name])
    return ""


_GETTER_SIGNATURE = re.compile(r"^\(self[^)]*\)\s*->\s*(.+)$")


def property_doc_and_type(cls: Any, name: str, value: property) -> Tuple[str, str]:
    """A property's docstring and type: its getter's return annotation, or for a compiled property the first line
    of its docstring, ``(self: T) -> int``."""
    doc = own_doc(value) or member_doc(cls, name, value)
    try:
        returns = inspect.signature(value.fget).return_annotation if value.fget else inspect.Signature.empty
        return doc, "" if returns is inspect.Signature.empty else annotation_text(returns)
    except (TypeError, ValueError):
        pass
    first, _, rest = doc.partition("\n")
    match = _GETTER_SIGNATURE.match(first.strip())
    if match:
        return rest.strip(), annotation_text(match.group(1))
    getter = _GETTER_SIGNATURE.match(inspect.cleandoc(getattr(value.fget, "__doc__", None) or "").partition("\n")[0])
    return doc, annotation_text(getter.group(1)) if getter else ""


def item(head: str, doc: str, kind: str = "") -> str:
    """One member as a list item: ``head`` (kind): its docstring."""
    text = f"- `{head}`" + (f" ({kind})" if kind else "")
    doc = markdown(doc)
    if not doc:
        return text
    first, _, rest = doc.partition("\n")
    text += ": " + first
    return text + ("\n" + indented(rest, "  ") if rest else "")


class Reference:
    """The Markdown of one package's public API."""

    def __init__(self, package: Any) -> None:
        self.package = package
        self.names = public_names(package)
        self.signatures: List[str] = []   # every signature written, to find the type aliases they name
        self.undocumented: List[str] = []

    def note_missing(self, where: str, doc: str) -> None:
        if not doc:
            self.undocumented.append(where)

    # --- top-level entries ---
    def function(self, name: str, obj: Any) -> str:
        doc = own_doc(obj)
        parameters, doc = signature_and_doc(obj, False, doc)
        self.signatures.append(parameters)
        self.note_missing(name, doc)
        out = [f"##### `{name}`", "", f"`{self.package.__name__}.{name}{parameters}`"]
        if doc:
            out += ["", markdown(doc)]
        return "\n".join(out)

    def klass(self, name: str, cls: Any) -> str:
        doc = own_doc(cls)
        parameters, doc = signature_and_doc(cls, False, doc)
        self.signatures.append(parameters)
        self.note_missing(name, doc)
        bases = [base.__name__ for base in cls.__bases__  # not the machinery of every class (object, pybind11)
                 if base.__module__ != "builtins" and not base.__name__.startswith("pybind11_")]
        out = [f"##### `{name}`", "", f"`class {self.package.__name__}.{name}{parameters}`"
               + (f", a subclass of {', '.join(f'`{base}`' for base in bases)}" if bases else "")]
        if doc:
            out += ["", markdown(doc)]
        members = self.members(name, cls)
        if members:
            out += [""] + members
        inherited = self.inherited(cls)
        if inherited:
            out += ["", inherited]
        return "\n".join(out)

    def members(self, class_name: str, cls: Any) -> List[str]:
        out: List[str] = []
        fields = {entry.name: entry for entry in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else {}
        attribute_docs_here = class_attribute_docs(cls)
        for name, field in fields.items():
            if not is_public_member(name):
                continue
            doc = attribute_docs_here.get(name, "")
            out.append(item(f"{name}: {annotation_text(field.type)}", doc, "field"))
        for name, value in vars(cls).items():
            if not is_public_member(name) or name in fields:
                continue
            where = f"{class_name}.{name}"
            if isinstance(value, property):
                doc, returns = property_doc_and_type(cls, name, value)
                head = name + (": " + returns if returns else "")
                kind = "property" if value.fset is None else "settable property"
                self.signatures.append(head)
            elif isinstance(value, (classmethod, staticmethod)):
                doc = member_doc(cls, name, value)
                parameters, doc = signature_and_doc(value.__func__, isinstance(value, classmethod), doc)
                head, kind = name + parameters, ("class method" if isinstance(value, classmethod) else "static method")
                self.signatures.append(parameters)
            elif inspect.isfunction(value) or inspect.isroutine(value):
                doc = member_doc(cls, name, value)
                parameters, doc = signature_and_doc(value, True, doc)
                head, kind = name + parameters, ""
                self.signatures.append(parameters)
            elif inspect.isclass(value):
                continue  # nested classes are not part of this package's vocabulary
            else:
                doc = attribute_doc(cls, name)
                annotation = cls.__dict__.get("__annotations__", {}).get(name)
                head = name + (f": {annotation_text(annotation)}" if annotation else "") + " = " + value_text(value)
                kind = "class attribute"
                self.signatures.append(head)
            self.note_missing(where, doc)
            out.append(item(head, doc, kind))
        return out

    def inherited(self, cls: Any) -> str:
        """One line per base class of the package: the public members this class inherits from it."""
        lines = []
        seen = set(vars(cls))
        for base in cls.__mro__[1:]:
            if base is object or not base.__module__.startswith(PACKAGE):
                continue
            names = []
            for name, value in vars(base).items():
                if not is_public_member(name) or name in seen:
                    continue
                seen.add(name)
                callable_member = inspect.isfunction(value) or isinstance(value, (classmethod, staticmethod))
                names.append(f"`{name}()`" if callable_member else f"`{name}`")
            if names:
                lines.append(f"Inherited from `{base.__name__}`: {', '.join(names)}.")
        return "\n".join(lines)

    def exception(self, name: str, cls: Any) -> str:
        doc = own_doc(cls)
        self.note_missing(name, doc)
        bases = ", ".join(base.__name__ for base in cls.__bases__)
        out = [f"##### `{name}`", "", f"`class {self.package.__name__}.{name}({bases})`"]
        if doc:
            out += ["", markdown(doc)]
        return "\n".join(out)

    def exception_order(self, exceptions: Dict[str, Any]) -> Iterator[Tuple[str, Any]]:
        """Depth first through the hierarchy (a class under its first base among them), siblings by name."""
        by_class = {cls: name for name, cls in exceptions.items()}

        def parent(cls: Any) -> Optional[Any]:
            return next((base for base in cls.__bases__ if base in by_class), None)

        def below(of: Optional[Any]) -> Iterator[Tuple[str, Any]]:
            for name in sorted(name for name, cls in exceptions.items() if parent(cls) is of):
                yield name, exceptions[name]
                yield from below(exceptions[name])

        yield from below(None)

    # --- the other names the signatures use ---
    def named_types(self) -> List[str]:
        """The documented type aliases (``Duration = ...`` and its docstring) and classes of the package's modules
        that the signatures name but ``__all__`` does not list."""
        used = set(re.findall(r"[A-Za-z_]\w*", " ".join(self.signatures))) - set(self.names)
        found: Dict[str, str] = {}
        for module in self.modules():
            try:
                source = inspect.getsource(module)
                tree = ast.parse(source)
            except (OSError, TypeError, SyntaxError):
                continue
            docs = attribute_docs(tree.body, source)
            for statement in tree.body:
                if isinstance(statement, ast.ClassDef):
                    name, value = statement.name, getattr(module, statement.name, None)
                    doc = own_doc(value) if inspect.isclass(value) else ""
                    head = "class " + name
                elif (isinstance(statement, ast.Assign) and len(statement.targets) == 1
                      and isinstance(statement.targets[0], ast.Name)):
                    name, doc = statement.targets[0].id, docs.get(statement.targets[0].id, "")
                    head = ""  # written below, for the names kept only (reading a segment is slow)
                else:
                    continue
                if name in used and name not in found and is_public_member(name) and doc:
                    if not head:
                        value = ast.get_source_segment(source, statement.value) or ""
                        head = f"{name} = {' '.join(value.split())}"
                    found[name] = item(head, doc, f"`{module.__name__}`")
        return [found[name] for name in sorted(found)]

    def modules(self) -> List[Any]:
        """The package's Python modules, by name."""
        out = [self.package]
        for info in pkgutil.iter_modules(getattr(self.package, "__path__", [])):
            if not info.name.startswith("_"):
                try:
                    out.append(importlib.import_module(f"{self.package.__name__}.{info.name}"))
                except ImportError:
                    continue
        return sorted(out, key=lambda module: module.__name__)

    # --- the whole ---
    def markdown(self) -> str:
        functions, classes, exceptions, others = {}, {}, {}, {}
        for name in self.names:
            obj = getattr(self.package, name)
            if inspect.isclass(obj) and issubclass(obj, BaseException):
                exceptions[name] = obj
            elif inspect.isclass(obj):
                classes[name] = obj
            elif callable(obj):
                functions[name] = obj
            else:
                others[name] = obj
        sections: List[str] = [
            "<!-- Generated by scripts/python_api_reference.py from the package's docstrings: edit those, not this "
            "text. -->"]
        if functions:
            sections.append("#### Functions")
            sections += [self.function(name, obj) for name, obj in functions.items()]
        if classes:
            sections.append("#### Classes")
            sections += [self.klass(name, obj) for name, obj in classes.items()]
        if exceptions:
            sections.append("#### Exceptions")
            sections += [self.exception(name, cls) for name, cls in self.exception_order(exceptions)]
        if others:
            sections.append("#### Constants")
            sections += [item(f"{name} = {value_text(value)}", "") for name, value in others.items()]
        named = self.named_types()
        if named:
            sections += ["#### Other types named in the signatures", "\n".join(named)]
        return "\n\n".join(sections) + "\n"


# ---------------------------------------------------------------------------------------------- the page
class MarkerError(Exception):
    pass


def split_page(text: str, path: str) -> Tuple[str, str, str]:
    """(up to and including the begin marker's line, between the markers, from the end marker's line)."""
    lines = text.splitlines(keepends=True)
    begins = [index for index, line in enumerate(lines) if line.strip() == BEGIN]
    ends = [index for index, line in enumerate(lines) if line.strip() == END]
    if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0]:
        raise MarkerError(f"{path}: expected one line {BEGIN} followed by one line {END} "
                          f"(found {len(begins)} and {len(ends)})")
    return "".join(lines[:begins[0] + 1]), "".join(lines[begins[0] + 1:ends[0]]), "".join(lines[ends[0]:])


def between(generated: str) -> str:
    return "\n" + generated + "\n"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="The API reference of the Python package outpost, from its "
                                                 "docstrings (import path: PYTHONPATH=build/python).")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", metavar="FILE", help=f"replace the text between {BEGIN} and {END} in FILE")
    action.add_argument("--check", metavar="FILE", help="exit 1 when the text between the markers in FILE differs "
                                                        "from what would be generated")
    arguments = parser.parse_args(argv)

    try:
        package = importlib.import_module(PACKAGE)
    except ImportError as failure:
        print(f"cannot import {PACKAGE} ({failure}): build the target outpost_python and run with "
              f"PYTHONPATH=build/python", file=sys.stderr)
        return 2
    reference = Reference(package)
    generated = reference.markdown()
    if reference.undocumented:
        print(f"note: no docstring for {', '.join(reference.undocumented)}", file=sys.stderr)

    if not arguments.write and not arguments.check:
        sys.stdout.write(generated)
        return 0
    path = arguments.write or arguments.check
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        head, current, tail = split_page(text, path)
    except (OSError, MarkerError) as failure:
        print(failure, file=sys.stderr)
        return 2
    wanted = between(generated)
    if arguments.check:
        if current == wanted:
            return 0
        print(f"{path}'s API reference is out of date: run `{COMMAND.format(file=path)}` (after building the target "
              f"outpost_python, which copies bindings/outpost/ into build/python)",
              file=sys.stderr)
        diff = list(difflib.unified_diff(current.splitlines(), wanted.splitlines(), f"{path} (now)",
                                         f"{path} (generated)", lineterm="", n=1))
        shown = 60
        print("\n".join(diff[:shown]), file=sys.stderr)
        if len(diff) > shown:
            print(f"... ({len(diff) - shown} more lines of difference)", file=sys.stderr)
        return 1
    if current != wanted:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(head + wanted + tail)
    return 0


if __name__ == "__main__":
    sys.exit(main())
