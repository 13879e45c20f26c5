// --trace FILE: a run as Chrome trace-event JSON (the "JSON Object Format" that Perfetto's UI
// and chrome://tracing open), from the SimTrace the simulation recorded (sim/trace/trace.h).
// docs/trace.md describes the tracks.
#pragma once

#include <string>

#include "report.h"

namespace fusim {

// Needs r.sim.trace (simulate(..., trace = true)). Times are microseconds at the arch's clock.
std::string trace_json(const RunResult& r);

}  // namespace fusim
