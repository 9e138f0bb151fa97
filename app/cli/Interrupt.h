#pragma once
// InterruptScope: how every long tstudio command reacts to Ctrl-C (SIGINT)
// and SIGTERM. While a scope is alive, the first signal cancels its Feedback
// (an atomic store, safe in a signal handler): the work stops at its next
// check, and the command ends as a cancel (a run is saved and says how to
// resume it; other commands throw ts::Cancelled, which run() turns into
// "tstudio: cancelled" and exit status 130). A second signal ends the process
// at once (the default action). The previous handlers come back when the
// scope ends.
//
// Thread safety: one scope at a time, created and destroyed on the main
// thread; the work may poll the Feedback from any thread.
#include "core/common/Feedback.h"

namespace ts::cli {

class InterruptScope {
public:
    explicit InterruptScope(Feedback& feedback);
    ~InterruptScope();
    InterruptScope(const InterruptScope&) = delete;
    InterruptScope& operator=(const InterruptScope&) = delete;

    Feedback& feedback() { return m_feedback; }

private:
    Feedback& m_feedback;
    void (*m_previousInt)(int);
    void (*m_previousTerm)(int);
};

} // namespace ts::cli
