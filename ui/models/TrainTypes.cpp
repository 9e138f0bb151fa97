#include "ui/models/TrainTypes.h"

#include <QStringList>

namespace ts::ui {

void registerTrainTypes() {
    static const bool done = [] {
        qRegisterMetaType<ts::train::TrainConfig>();
        qRegisterMetaType<ts::train::BatchEvent>();
        qRegisterMetaType<ts::train::EpochMetrics>();
        qRegisterMetaType<ts::train::TrainResult>();
        qRegisterMetaType<ts::train::LrFindResult>();
        qRegisterMetaType<ts::ui::TaskError>();
        return true;
    }();
    (void)done;
}

QString userMessageOf(const QString& what) {
    QString text = what;
    const int backtrace = text.indexOf(QLatin1String("Exception raised from"));
    if (backtrace >= 0) text.truncate(backtrace);
    text = text.trimmed();
    const QStringList lines = text.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    if (lines.size() > 3) return lines.mid(0, 3).join(QLatin1Char('\n'));
    return text.isEmpty() ? what.left(300) : text;
}

} // namespace ts::ui
