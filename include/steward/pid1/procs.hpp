// The processes below steward that belong to no service: orphans
// re-parented to PID 1 (or to steward as child subreaper) and daemons that
// escaped their group (SPEC §4 step 4). Used only while stopping, never
// polled.
#pragma once

#include <sys/types.h>

#include <vector>

namespace steward {

// Every descendant of this process, except `spare` and its descendants
// (the log forwarder must outlive the leftovers). Reads /proc; when /proc is
// missing, returns the direct children that waitid() can see are there
// (reported as {-1}) so callers still know something remains.
std::vector<pid_t> Descendants(pid_t spare);

// Sends sig to each of Descendants(spare); returns how many there were.
int SignalDescendants(int sig, pid_t spare);

// True while any process is in process group pgid (zombies included, since
// steward reaps its own at once).
bool GroupAlive(pid_t pgid);

// Makes this process the reaper of its orphaned descendants when it is not
// PID 1 (prctl PR_SET_CHILD_SUBREAPER). Returns false on failure.
bool BecomeSubreaper();

}  // namespace steward
