#include "app/cli/Interrupt.h"

#include <csignal>

namespace ts::cli {
namespace {

Feedback* g_activeFeedback = nullptr;

extern "C" void onInterrupt(int signal) {
    if (g_activeFeedback) g_activeFeedback->cancel();  // atomic store: safe in a signal handler
    // The work stops at its next check; a second signal ends the process at once.
    std::signal(signal, SIG_DFL);
}

} // namespace

InterruptScope::InterruptScope(Feedback& feedback) : m_feedback(feedback) {
    g_activeFeedback = &feedback;
    m_previousInt = std::signal(SIGINT, onInterrupt);
    m_previousTerm = std::signal(SIGTERM, onInterrupt);
}

InterruptScope::~InterruptScope() {
    std::signal(SIGINT, m_previousInt);
    std::signal(SIGTERM, m_previousTerm);
    g_activeFeedback = nullptr;
}

} // namespace ts::cli
