#pragma once
// The one way ui/ includes QCustomPlot.
//
// ui/ is compiled with QT_NO_KEYWORDS (LibTorch uses the identifier `slots`),
// but Debian's qcustomplot.h uses the keywords signals, slots, emit and
// foreach. They are defined to their Q_ forms around the include only, and
// undefined right after, so nothing else in ui/ sees them.
#define signals Q_SIGNALS
#define slots Q_SLOTS
#define emit Q_EMIT
#define foreach Q_FOREACH
#include <qcustomplot.h>
#undef signals
#undef slots
#undef emit
#undef foreach
