"""code_execution: run a snippet of Python in a fresh interpreter and report what it did.

Built into a WASI component by componentize-py (Makefile target `python-tools`). The
build snapshots the interpreter after this module is imported, so only modules imported
here exist when the component runs: the standard-library modules user code is likely
to reach for are imported below on purpose (bz2, lzma, ctypes, ssl and mmap are not
part of this CPython build).

The host gives every call a fresh instance of the snapshot, so nothing one call does is
seen by the next.
"""

# What the tool itself needs.
import ast
import builtins
import io
import json
import linecache
import os
import random
import sys
import traceback

# Standard-library modules offered to user code (they must be imported at build time).
import abc  # noqa: F401
import argparse  # noqa: F401
import array  # noqa: F401
import base64  # noqa: F401
import binascii  # noqa: F401
import bisect  # noqa: F401
import calendar  # noqa: F401
import cmath  # noqa: F401
import codecs  # noqa: F401
import collections  # noqa: F401
import collections.abc  # noqa: F401
import colorsys  # noqa: F401
import configparser  # noqa: F401
import contextlib  # noqa: F401
import contextvars  # noqa: F401
import copy  # noqa: F401
import csv  # noqa: F401
import dataclasses  # noqa: F401
import datetime  # noqa: F401
import decimal  # noqa: F401
import difflib  # noqa: F401
import dis  # noqa: F401
import email  # noqa: F401
import email.message  # noqa: F401
import email.parser  # noqa: F401
import email.utils  # noqa: F401
import enum  # noqa: F401
import errno  # noqa: F401
import fnmatch  # noqa: F401
import fractions  # noqa: F401
import functools  # noqa: F401
import gc  # noqa: F401
import getopt  # noqa: F401
import graphlib  # noqa: F401
import gzip  # noqa: F401
import hashlib  # noqa: F401
import heapq  # noqa: F401
import hmac  # noqa: F401
import html  # noqa: F401
import html.parser  # noqa: F401
import inspect  # noqa: F401
import ipaddress  # noqa: F401
import itertools  # noqa: F401
import keyword  # noqa: F401
import locale  # noqa: F401
import logging  # noqa: F401
import math  # noqa: F401
import numbers  # noqa: F401
import operator  # noqa: F401
import pathlib  # noqa: F401
import pickle  # noqa: F401
import platform  # noqa: F401
import pprint  # noqa: F401
import queue  # noqa: F401
import quopri  # noqa: F401
import re  # noqa: F401
import reprlib  # noqa: F401
import sched  # noqa: F401
import secrets  # noqa: F401
import shlex  # noqa: F401
import shutil  # noqa: F401
import socket  # noqa: F401  (so that using it fails with the sandbox's error, not an ImportError)
import sqlite3  # noqa: F401
import statistics  # noqa: F401
import string  # noqa: F401
import struct  # noqa: F401
import subprocess  # noqa: F401  (same: the attempt fails, the import works)
import tempfile  # noqa: F401
import textwrap  # noqa: F401
import threading  # noqa: F401
import time  # noqa: F401
import timeit  # noqa: F401
import tokenize  # noqa: F401
import tomllib  # noqa: F401
import types  # noqa: F401
import typing  # noqa: F401
import unicodedata  # noqa: F401
import unittest  # noqa: F401
import urllib.parse  # noqa: F401
import urllib.request  # noqa: F401  (so that a download fails with the network error)
import uuid  # noqa: F401
import warnings  # noqa: F401
import weakref  # noqa: F401
import xml.dom.minidom  # noqa: F401
import xml.etree.ElementTree  # noqa: F401
import zipfile  # noqa: F401
import zlib  # noqa: F401
import zoneinfo  # noqa: F401

# Codecs are found by name at run time ("idna" for host names, "utf-16", "cp1252", ...):
# import every one this build has.
import encodings
import importlib
import pkgutil

for _m in pkgutil.iter_modules(encodings.__path__):
    try:
        importlib.import_module("encodings." + _m.name)
    except Exception:  # Windows-only codecs (mbcs, oem, ...)
        pass


def _no_processes(*_args, **_kwargs):
    raise OSError(errno.ENOTSUP, "this sandbox cannot start processes (no os.system, os.popen or subprocess)")


# WASI has no processes: these would otherwise be missing attributes of `os`.
for _name in ("system", "popen"):
    if not hasattr(os, _name):
        setattr(os, _name, _no_processes)

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports.dive_tool_types import ToolError_InvalidArgs, ToolSpec

TOOL = "code_execution"
# The file name user code is compiled under (tracebacks show it).
CODE_FILE = "<code>"
# Caps in characters (the JSON result stays well under the manifest's max_output_bytes).
MAX_STDOUT = 200_000
MAX_STDERR = 50_000
MAX_RESULT = 50_000
MAX_TRACEBACK = 50_000

DESCRIPTION = (
    "Run a Python 3 program (CPython 3.14, standard library only) and get back what it "
    "printed on stdout and stderr, the value of its final expression when it ends with "
    "one (as a notebook cell shows it), and the traceback when it raises. Every call "
    "starts a new interpreter: nothing defined in one call exists in the next. There is "
    "no network, no file system, no subprocesses and no threads, time.time() reads a "
    "fixed instant, and calls are limited in time and memory."
)

INPUT_SCHEMA = {
    "type": "object",
    "properties": {
        "code": {
            "type": "string",
            "minLength": 1,
            "description": "Python source to run as one program, e.g. 'import math\\nmath.sqrt(2)'.",
        }
    },
    "required": ["code"],
    "additionalProperties": False,
}

OUTPUT_SCHEMA = {
    "type": "object",
    "properties": {
        "stdout": {"type": "string", "description": "Text the program wrote to standard output."},
        "stderr": {"type": "string", "description": "Text the program wrote to standard error."},
        "result": {
            "type": ["string", "null"],
            "description": "repr() of the final expression's value; null when the program does not end with an expression, the value is None, or it raised.",
        },
        "error": {
            "description": "The exception that ended the program, or null when it finished normally.",
            "oneOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "properties": {
                        "type": {"type": "string", "description": "Exception class name, e.g. ZeroDivisionError."},
                        "message": {"type": "string", "description": "str() of the exception."},
                        "traceback": {"type": "string", "description": "The formatted traceback, as Python prints it."},
                    },
                    "required": ["type", "message", "traceback"],
                },
            ],
        },
        "stdout_truncated": {"type": "boolean", "description": "stdout exceeded its cap and was cut."},
        "stderr_truncated": {"type": "boolean", "description": "stderr exceeded its cap and was cut."},
    },
    "required": ["stdout", "stderr", "result", "error", "stdout_truncated", "stderr_truncated"],
}


class OutputLimitExceeded(BaseException):
    """Raised into user code when it writes past the output cap (a BaseException so that
    an `except Exception` in the program does not swallow it)."""


class _CappedBinary(io.RawIOBase):
    """`sys.stdout.buffer`: bytes written are decoded and passed to the text stream."""

    def __init__(self, text):
        self._text = text

    def writable(self):
        return True

    def write(self, b):
        self._text.write(bytes(b).decode("utf-8", "replace"))
        return len(b)


class _CappedText(io.TextIOBase):
    """A text stream that keeps at most `cap` characters, then stops the program."""

    def __init__(self, name, cap):
        self._name = name
        self._cap = cap
        self._parts = []
        self._size = 0
        self.truncated = False
        self.buffer = _CappedBinary(self)

    @property
    def encoding(self):
        return "utf-8"

    @property
    def errors(self):
        return "strict"

    def writable(self):
        return True

    def isatty(self):
        return False

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        room = self._cap - self._size
        if len(s) > room:
            if room > 0:
                self._parts.append(s[:room])
                self._size += room
            self.truncated = True
            raise OutputLimitExceeded(
                f"the program wrote more than {self._cap} characters to {self._name}; the rest was dropped"
            )
        self._parts.append(s)
        self._size += len(s)
        return len(s)

    def getvalue(self):
        return "".join(self._parts)


def _clean(s):
    """Text that is valid UTF-8 (lone surrogates become '?')."""
    return s.encode("utf-8", "replace").decode("utf-8")


def _cut(s, cap):
    return s if len(s) <= cap else s[:cap] + f"\n... [{len(s) - cap} more characters cut]"


def _user_traceback(exc):
    """The traceback of `exc` without this module's own frames."""
    # Start at the program's outermost frame; a SyntaxError of the program itself has
    # none, and is shown as Python shows it (file, line, caret, message).
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != CODE_FILE:
        tb = tb.tb_next
    try:
        te = traceback.TracebackException(type(exc), exc, tb)
        # Drop the frames of this module (the output cap raises from our stream).
        here = _user_traceback.__code__.co_filename
        te.stack = traceback.StackSummary.from_list([f for f in te.stack if f.filename != here])
        text = "".join(te.format())
    except BaseException:  # a hostile __str__ or __repr__
        text = f"{type(exc).__name__} (the traceback could not be formatted)\n"
    return _cut(text, MAX_TRACEBACK)


def _error(exc):
    try:
        message = str(exc)
    except BaseException:
        message = "(str() of the exception failed)"
    return {
        "type": type(exc).__name__,
        "message": _cut(message, MAX_RESULT),
        "traceback": _user_traceback(exc),
    }


def run(code):
    """Run `code` like a notebook cell; return the result object."""
    stdout = _CappedText("stdout", MAX_STDOUT)
    stderr = _CappedText("stderr", MAX_STDERR)
    result = None
    error = None
    # The snapshot's random state is the same in every instance: seed it from the host's
    # random source (itself seeded per call by the runtime).
    random.seed()
    linecache.cache[CODE_FILE] = (len(code), None, code.splitlines(True), CODE_FILE)
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    saved = sys.stdout, sys.stderr, sys.stdin
    sys.stdout, sys.stderr, sys.stdin = stdout, stderr, io.StringIO("")
    try:
        try:
            tree = ast.parse(code, CODE_FILE, "exec")
            last = None
            if tree.body and isinstance(tree.body[-1], ast.Expr):
                last = ast.Expression(tree.body.pop().value)
            exec(compile(tree, CODE_FILE, "exec"), namespace)
            if last is not None:
                value = eval(compile(last, CODE_FILE, "eval"), namespace)
                if value is not None:
                    result = _cut(repr(value), MAX_RESULT)
        except SystemExit as e:
            if e.code not in (None, 0):
                error = _error(e)
        except BaseException as e:  # everything the program raised, incl. the output cap
            error = _error(e)
    finally:
        sys.stdout, sys.stderr, sys.stdin = saved
    return {
        "stdout": _clean(stdout.getvalue()),
        "stderr": _clean(stderr.getvalue()),
        "result": None if result is None else _clean(result),
        "error": None if error is None else {k: _clean(v) for k, v in error.items()},
        "stdout_truncated": stdout.truncated,
        "stderr_truncated": stderr.truncated,
    }


class Tool(exports.Tool):
    def list_tools(self):
        return [ToolSpec(TOOL, DESCRIPTION, json.dumps(INPUT_SCHEMA), json.dumps(OUTPUT_SCHEMA))]

    def call(self, name, args):
        if name != TOOL:
            raise Err(ToolError_InvalidArgs(f"this component has no tool named {name!r}"))
        try:
            parsed = json.loads(args)
        except ValueError as e:
            raise Err(ToolError_InvalidArgs(f"the arguments are not JSON: {e}"))
        code = parsed.get("code") if isinstance(parsed, dict) else None
        if not isinstance(code, str) or not code:
            raise Err(ToolError_InvalidArgs("'code' must be a non-empty string of Python source"))
        return json.dumps(run(code), ensure_ascii=False)
