#!/usr/bin/env python3
"""test-layering.py — the build holds each layer to the layers below it.

For each case, take the compile command the build really uses for a
source of one library (from compile_commands.json, found by the library's
name so that file renames do not matter), compile a one-line probe that
includes a header with exactly those flags, and check the outcome:

  - a header of the same layer or a layer below must compile (so that a
    failure below is the layering, not a broken command);
  - a header of a layer above must fail with "not found" for that very
    header (so that it is the include path that refuses it, not some
    other error).

Layers (hub/meson.build): protocol <- model <- state <- {ingest, aggregate};
aggregate <- score; protocol <- io; model, io <- sinks; all of those <- core (hub.h) <- api <-
{alerts, federation}.  The connector library sees protocol, model, io.

The include path cannot stop api/ from naming a stage header: hub.h's read
functions return stage types (device summaries, dossier indicators), so
every layer's root is on api's command line.  What it includes is
therefore checked in its sources: each #include of a file in hub/api/ must
be one of api/'s own, hub.h, the vocabulary (protocol/, model/) or a named
service header; and no file there may use the hub's deprecated raw view
or observer functions.  Either gives "not ok" with file:line.

Usage: test-layering.py SOURCE_ROOT BUILD_ROOT   (TAP on stdout)
"""
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

# (library whose flags are used, header to include, must it compile?)
CASES = [
    ("libiocproto", "protocol/ioc-stats.h", True),
    ("libiocproto", "protocol/ioc-schema.h", True),
    ("libiocproto", "model/record.h", False),  # the kind tables moved down: no arrow back up
    ("libiocproto", "io/handoff.h", False),
    ("libiocproto", "state/journal.h", False),
    ("libiocproto", "ingest/dedup.h", False),
    ("libiocproto", "hub.h", False),
    ("libiocmodel", "protocol/ioc-time.h", True),
    ("libiocmodel", "model/calendar.h", True),
    ("libiocmodel", "state/snapcodec.h", False),
    ("libiocmodel", "ingest/dedup.h", False),
    ("libiocmodel", "io/handoff.h", False),
    ("libiocmodel", "sinks/sink.h", False),
    ("libiocstate", "model/record.h", True),
    ("libiocstate", "ingest/dedup.h", False),
    ("libiocstate", "aggregate/rollup.h", False),
    ("libiocstate", "io/handoff.h", False),
    ("libiocio", "protocol/ioc-stats.h", True),
    ("libiocio", "model/record.h", False),
    ("libiocio", "state/journal.h", False),
    ("libiocio", "hub.h", False),
    ("libiocingest", "state/snapcodec.h", True),
    ("libiocingest", "model/units.h", True),
    ("libiocingest", "aggregate/rollup.h", False),
    ("libiocingest", "sinks/spool.h", False),
    ("libiocingest", "io/mqtt-client.h", False),
    ("libiocingest", "hub.h", False),
    ("libiocaggregate", "state/snapcodec.h", True),
    ("libiocaggregate", "ingest/dedup.h", False),
    ("libiocaggregate", "sinks/spool.h", False),
    ("libiocaggregate", "hub.h", False),
    ("libiocaggregate", "score/scorecard.h", False),
    ("libiocscore", "aggregate/dossier-tracker.h", True),
    ("libiocscore", "sinks/sink.h", False),
    ("libiocscore", "ingest/dedup.h", False),
    ("libiocscore", "hub.h", False),
    ("libiocsinks", "io/handoff.h", True),
    ("libiocsinks", "model/record.h", True),
    ("libiocsinks", "ingest/deadletter.h", False),
    ("libiocsinks", "aggregate/rollup.h", False),
    ("libiocsinks", "state/journal.h", False),
    ("libiocsinks", "hub.h", False),
    ("libiochub-core", "sinks/sink.h", True),
    ("libiochub-core", "ingest/dedup.h", True),
    ("libiochub-core", "aggregate/rollup.h", True),
    ("libiochub-core", "score/scorecard.h", True),
    ("libiochub-core", "api/auth.h", False),
    ("libiochub-core", "alerts/alert-rules.h", False),
    ("libiochub-core", "federation/federation.h", False),
    ("libiocapi", "hub.h", True),
    ("libiocapi", "io/http-server.h", True),
    ("libiocapi", "alerts/alert-rules.h", False),
    ("libiocapi", "federation/federation.h", False),
    ("libiocalertscore", "model/calendar.h", True),
    ("libiocalertscore", "hub.h", False),
    ("libiocalertscore", "api/auth.h", False),
    ("libiocalertscore", "io/http-server.h", False),
    ("libiocalerts", "hub.h", True),
    ("libiocalerts", "api/auth.h", True),
    ("libiocalerts", "federation/federation.h", False),
    ("libiocfederation", "hub.h", True),
    ("libiocfederation", "api/auth.h", True),
    ("libiocfederation", "alerts/alert-rules.h", False),
    ("libiocconnector", "io/handoff.h", True),
    ("libiocconnector", "protocol/ioc-topic.h", True),
    ("libiocconnector", "hub.h", False),
    ("libiocconnector", "ingest/dedup.h", False),
    ("libiocconnector", "aggregate/rollup.h", False),
]

# What the files of a consumer folder may include, by prefix or whole name:
# the hub core through hub.h and hub-config.h, never a stage directly.
SOURCE_RULES = {
    "api": {
        "allowed": (
            "api/", "hub.h", "hub-config.h", "protocol/", "model/",
            "io/http-server.h",      # ioc_http_reply for the plain-text routes
            "sinks/sink.h",          # the interface the API registers as
            "sinks/influx-query.h",  # api-history's InfluxQL client (worker thread)
            "sinks/line-protocol.h", # a pure encoder: api-scorecard's ioc_score lines
        ),
        # The raw view is for white-box tests (hub-private.h), never a consumer.
        "refused_words": ("ioc_hub_view", "IocHubView", "hub-private.h"),
    },
    "alerts": {
        "allowed": (
            "alerts/", "hub.h", "hub-config.h", "protocol/", "model/",
            "io/http-server.h",      # the alert routes (ack, silence)
            "api/api-reply.h", "api/auth.h",  # the API's reply and token checks
            "sinks/sink.h",          # the interface the engine registers as
            "sinks/influx-query.h",  # baselines from InfluxDB on a cold start
        ),
        "refused_words": ("ioc_hub_view", "IocHubView", "hub-private.h"),
    },
}

INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def source_files(source_root, folder):
    d = os.path.join(source_root, "hub", folder)
    return sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith((".c", ".h")))


def source_problems(source_root, folder, rules):
    """(includes refused, uses of refused words), each as "file:line: what"."""
    includes, words = [], []
    for path in source_files(source_root, folder):
        rel = os.path.relpath(path, source_root)
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                m = INCLUDE_RE.match(line)
                if m:
                    inc = m.group(1)
                    if not any(inc == a or (a.endswith("/") and inc.startswith(a)) for a in rules["allowed"]):
                        includes.append('%s:%d: includes "%s"' % (rel, n, inc))
                    continue
                for w in rules["refused_words"]:
                    if w in line:
                        words.append("%s:%d: uses %s" % (rel, n, w.strip(" (")))
    return includes, words


# Flags that name the object or the dependency file: not wanted for a probe.
DROP_WITH_VALUE = {"-o", "-MQ", "-MF", "-MT", "-c"}
DROP = {"-MD", "-MMD"}


def library_command(commands, lib):
    """The argument list (and its directory) of one source of lib."""
    marker = "/" + lib + ".a.p/"
    for entry in commands:
        args = entry.get("arguments") or shlex.split(entry["command"])
        if any(marker in a for a in args):
            return args, entry["directory"]
    return None, None


def probe_args(args, probe):
    out = []
    skip = False
    for a in args:
        if skip:
            skip = False
            continue
        if a in DROP_WITH_VALUE:
            skip = True
            continue
        if a in DROP or a.startswith("-MF") or a.startswith("-o"):
            continue
        out.append(a)
    return out + ["-fsyntax-only", probe]


def header_path(source_root, header):
    if header in ("hub.h", "hub-config.h"):
        return os.path.join(source_root, "hub", "core", header)
    return os.path.join(source_root, "hub", header)


def main():
    source_root, build_root = sys.argv[1], sys.argv[2]
    with open(os.path.join(build_root, "compile_commands.json")) as f:
        commands = json.load(f)
    print("1..%d" % (len(CASES) + 2 * len(SOURCE_RULES)))
    failed = 0
    with tempfile.TemporaryDirectory(prefix="test-layering-") as tmp:
        for n, (lib, header, must_compile) in enumerate(CASES, 1):
            name = "%s %s %s" % (lib, "sees" if must_compile else "cannot include", header)
            problem = None
            args, directory = library_command(commands, lib)
            if args is None:
                problem = "no compile command for %s in compile_commands.json" % lib
            elif not os.path.exists(header_path(source_root, header)):
                problem = "%s is not in the source tree (update this case)" % header
            else:
                probe = os.path.join(tmp, "probe-%d.c" % n)
                with open(probe, "w") as p:
                    p.write('#include "%s"\n' % header)
                r = subprocess.run(probe_args(args, probe), cwd=directory, capture_output=True, text=True)
                said = (r.stderr or r.stdout).strip().splitlines()
                if must_compile and r.returncode != 0:
                    problem = "does not compile: %s" % (said[0] if said else "?")
                elif not must_compile and r.returncode == 0:
                    problem = "compiles: the include path lets a lower layer reach up"
                elif not must_compile:
                    text = r.stderr + r.stdout
                    if header not in text or ("No such file" not in text and "not found" not in text):
                        problem = "failed for another reason than the include path: %s" % (said[0] if said else "?")
            if problem is None:
                print("ok %d - %s" % (n, name))
            else:
                failed += 1
                print("not ok %d - %s: %s" % (n, name, problem))
    n = len(CASES)
    for folder, rules in sorted(SOURCE_RULES.items()):
        includes, words = source_problems(source_root, folder, rules)
        for name, found in (("hub/%s/ includes no stage header directly" % folder, includes),
                            ("hub/%s/ uses no raw view or observer of the hub" % folder, words)):
            n += 1
            if found:
                failed += 1
                print("not ok %d - %s: %s" % (n, name, "; ".join(found)))
            else:
                print("ok %d - %s" % (n, name))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
