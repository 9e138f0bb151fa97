// The one exception-to-message function (core/common/ErrorMessage.h) and the
// CLI's one interrupt scope (app/cli/Interrupt.h).
#include "app/cli/Interrupt.h"
#include "core/common/Error.h"
#include "core/common/ErrorMessage.h"

#include <c10/util/Exception.h>
#include <gtest/gtest.h>

#include <csignal>

using namespace ts;

TEST(ErrorMessage, LibTorchErrorsLoseTheirBacktrace) {
    try {
        TORCH_CHECK(false, "Expected a 4-D input, got 3-D");
    } catch (const std::exception& e) {
        const std::string full = e.what();
        const std::string text = exceptionText(e);
        EXPECT_NE(text.find("Expected a 4-D input, got 3-D"), std::string::npos) << text;
        EXPECT_EQ(text.find("Exception raised from"), std::string::npos) << text;
        EXPECT_EQ(userMessage(e), text);
        if (full.find("Exception raised from") != std::string::npos)
            EXPECT_EQ(userMessage(full).find("Exception raised from"), std::string::npos);
    }
    const IoError io("Cannot read 'a.pth': it is empty. Download it again.");
    EXPECT_EQ(exceptionText(io), io.what());
    EXPECT_EQ(userMessage(io), io.what());
}

TEST(ErrorMessage, KeepsTheFirstThreeLinesBeforeABacktrace) {
    EXPECT_EQ(userMessage("  one\n"), "one");
    EXPECT_EQ(userMessage("one\n\ntwo\nthree"), "one\n\ntwo\nthree") << "three non-empty lines stay as they are";
    EXPECT_EQ(userMessage("one\ntwo\n\nthree\nfour\nfive"), "one\ntwo\nthree");
    EXPECT_EQ(userMessage("bad shape\nException raised from foo at bar.cpp:12\nframe 1\nframe 2\nframe 3"), "bad shape");
    // Only a backtrace: its beginning, cut on a UTF-8 boundary.
    const std::string onlyTrace = "Exception raised from " + std::string(278, 'x') + "\xc3\xa9\xc3\xa9";
    const std::string shown = userMessage(onlyTrace);
    EXPECT_EQ(shown.size(), 300u);
    EXPECT_EQ(shown, onlyTrace.substr(0, 300));
    EXPECT_EQ(userMessage(std::string(310, 'x').insert(0, "Exception raised from ") + "\xc3\xa9").size(), 300u);
    const std::string cutInside = "Exception raised from " + std::string(277, 'x') + "\xc3\xa9";
    EXPECT_EQ(userMessage(cutInside).size(), 299u) << "no half of a two-byte character";
}

TEST(InterruptScope, TheFirstSignalCancelsTheSecondIsTheDefaultAndTheOldHandlersComeBack) {
    static volatile std::sig_atomic_t outerCalls = 0;
    auto outer = +[](int) { outerCalls = outerCalls + 1; };
    const auto saved = std::signal(SIGINT, outer);
    const auto savedTerm = std::signal(SIGTERM, outer);
    {
        Feedback feedback;
        cli::InterruptScope scope(feedback);
        EXPECT_FALSE(feedback.isCancelled());
        std::raise(SIGINT);
        EXPECT_TRUE(feedback.isCancelled());
        // After the first signal the default action is back (a second Ctrl-C ends the process).
        const auto now = std::signal(SIGINT, SIG_DFL);
        EXPECT_EQ(now, SIG_DFL);
    }
    {
        Feedback feedback;
        cli::InterruptScope scope(feedback);
        std::raise(SIGTERM);
        EXPECT_TRUE(feedback.isCancelled()) << "SIGTERM cancels as Ctrl-C does";
    }
    // The handlers from before the scopes are restored.
    std::raise(SIGINT);
    std::raise(SIGTERM);
    EXPECT_EQ(outerCalls, 2);
    std::signal(SIGINT, saved);
    std::signal(SIGTERM, savedTerm);
}
