#pragma once
// StageWorker: builds a zoo model off the UI thread to list its stages
// (building VGG or ConvNeXt with random weights takes seconds).
//
// Lives on a QThread (see BackbonePage); call inspect() queued. Each request
// ends in exactly one stagesReady() or failed() for the same `arch`. Never throws.
#include "ui/models/ZooFacts.h"

#include <QObject>

namespace ts::ui {

class StageWorker : public QObject {
    Q_OBJECT
public:
    explicit StageWorker(QObject* parent = nullptr);

public Q_SLOTS:
    void inspect(const QString& arch);

Q_SIGNALS:
    void stagesReady(const QString& arch, const QVector<ts::ui::StageRow>& stages);
    void failed(const QString& arch, const QString& message);
};

} // namespace ts::ui
