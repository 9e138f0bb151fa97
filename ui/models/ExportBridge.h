#pragma once
// ExportBridge: the export capability (core/export) as Qt value types.
// ExportBridge.cpp includes LibTorch; this header does not.
//
// Thread safety: any thread; may take minutes (round-trip check): call it in
// a background job (ExportPage uses its TaskManager). The model is read
// through the shared BundleCache (one lease at a time in the process).
#include <QString>
#include <QStringList>

namespace ts::ui {

/// What the user asked for.
struct ExportRequest {
    QString bundle;         ///< the trained model (.tsb) or its run folder
    QString format;         ///< "bundle", "onnx" or "pth"
    QString path;           ///< target file
    bool withPreprocessing = false;  ///< ONNX: normalisation in the graph
    bool withProbabilities = false;  ///< ONNX: a softmax output too
    bool roundTrip = true;  ///< check the file in a second runtime
    QString dataDir;        ///< validation images for the check
    int maxImages = 64;     ///< images compared (0 = all)
};

/// What happened.
struct ExportOutcome {
    QString format;
    QString path;
    qint64 bytes = 0;
    QStringList notes;
    QString roundTrip;      ///< one-line round-trip report; empty when not run
    bool roundTripPassed = false;
    QString error;          ///< empty on success
    QString details;
};

/// Formats this build can write, as ("bundle", "onnx", "pth") names.
QStringList availableExportFormats();
/// The usual extension with the dot.
QString exportExtension(const QString& format);
ExportOutcome exportModelFile(const ExportRequest& request);

} // namespace ts::ui
