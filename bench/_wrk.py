"""Load generation with wrk (Debian's ``wrk`` package), and its figures as a dict.

wrk is a C event loop, the cheapest load generator at hand: on a 2-core
machine whatever the generator burns is taken from the server, so its CPU
time is measured too (the rusage of reaped children).  Two Lua scripts:

- ``POST_LUA`` sends the pre-signed statements of a pool file (see
  ``_statements.py``), each once, and counts the answers by status; when the
  pool runs out the thread stops, so the run ends early rather than sending
  duplicates (wrk's duration is then the time the pool lasted), unless told
  to cycle (for a server that logs nothing, such as ``_app:verify_only``);
- ``GET_LUA`` sends ``GET <prefix><i><suffix>`` for random ``i`` in
  ``[lo, hi]``, or one fixed path.

Both print one line of ``key=value`` pairs from ``done``, parsed here.
"""

from __future__ import annotations

import resource
import shutil
import subprocess
from pathlib import Path

WRK = shutil.which("wrk") or "/usr/bin/wrk"
TIMEOUT_S = 10

_DONE = r"""
local threads = {}
function setup(thread) table.insert(threads, thread) end
function done(summary, latency, requests)
  local line = string.format(
    "WRK duration_us=%d requests=%d connect=%d read=%d write=%d status=%d timeout=%d"
      .. " p50_us=%d p90_us=%d p99_us=%d max_us=%d mean_us=%.1f",
    summary.duration, summary.requests, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean)
  for _, thread in ipairs(threads) do
    local counts = thread:get("counts")
    if counts then
      for status, n in pairs(counts) do line = line .. string.format(" s%s=%d", status, n) end
    end
    local left = thread:get("exhausted_at")
    if left then line = line .. " exhausted=1" end
  end
  io.write(line .. "\n")
end
"""

POST_LUA = (
    r"""
-- args: pool file, first statement, last statement (1-based, inclusive), and "cycle" to
-- send the pool again from its start when it runs out (for servers that log nothing)
local requests, n, i, cycle = {}, 0, 0, false
counts = {}
exhausted_at = nil
function init(args)
  local f = assert(io.open(args[1], "rb"))
  local data = f:read("*a")
  f:close()
  local first, last = tonumber(args[2]), tonumber(args[3])
  cycle = args[4] == "cycle"
  local headers = {["Content-Type"] = "application/cose"}
  local pos, k = 1, 0
  while pos <= #data and k < last do
    local b1, b2, b3, b4 = data:byte(pos, pos + 3)
    local len = ((b1 * 256 + b2) * 256 + b3) * 256 + b4
    k = k + 1
    if k >= first then
      n = n + 1
      requests[n] = wrk.format("POST", "/entries", headers, data:sub(pos + 4, pos + 3 + len))
    end
    pos = pos + 4 + len
  end
end
function request()
  i = i + 1
  if i > n and cycle then i = 1 end
  if i > n then
    exhausted_at = i
    return wrk.format("GET", "/health")
  end
  return requests[i]
end
function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
  if exhausted_at then wrk.thread:stop() end
end
"""
    + _DONE
)

GET_LUA = (
    r"""
-- args: path prefix, then optionally lo, hi, suffix: GET prefix .. random i in [lo, hi] .. suffix
local prefix, lo, hi, suffix
function init(args)
  prefix = args[1]
  lo, hi, suffix = tonumber(args[2]), tonumber(args[3]), args[4] or ""
  math.randomseed(os.time())
end
function request()
  if lo then return wrk.format("GET", prefix .. math.random(lo, hi) .. suffix) end
  return wrk.format("GET", prefix)
end
"""
    + _DONE
)


def write_scripts(directory: Path) -> tuple[Path, Path]:
    """Write the POST and GET scripts into ``directory``; returns their paths."""
    post, get = directory / "post.lua", directory / "get.lua"
    post.write_text(POST_LUA)
    get.write_text(GET_LUA)
    return post, get


def run(
    url: str, seconds: float, connections: int, script: Path, args: list[str], threads: int = 1
) -> dict[str, float]:
    """Run wrk against ``url`` for ``seconds``; its figures plus ``cpu_s`` (wrk's own CPU)."""
    argv = [
        WRK,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={TIMEOUT_S}s",
        "-s",
        str(script),
        url,
        "--",
        *args,
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = done.stdout
    lines = [line for line in out.splitlines() if line.startswith("WRK ")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{out}\n{done.stderr}")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    figures: dict[str, float] = {"cpu_s": cpu}
    for pair in lines[-1].split()[1:]:
        key, _, value = pair.partition("=")
        figures[key] = figures.get(key, 0.0) + float(value)
    figures["seconds"] = figures["duration_us"] / 1e6
    figures["rate"] = figures["requests"] / figures["seconds"]
    return figures
