// Runs qs::exportQuantizedModel off the GUI thread (runInBackground on the window's pool): the
// calibration audio is the given folder, rescanned with the model's sample rate when the loaded
// corpus was scanned with another one, narrowed to the allocation's speaker (or speaker group) unless
// that is "all", and to the tune clips of the analysis's split.
// The worker writes its progress into a shared slot that a timer here reads, so progress (with an
// estimate of the time left) reaches the window without the job ever touching this object; cancel()
// sets the flag that the job's threads check as they go (every layer of a forward pass, every
// candidate of a search, every file written: core/base/cancel.h), and core leaves no folder behind. The time left
// is estimated per phase: a phase ends when the fraction done falls back (calibration passes, learned
// rounding, evaluation each count from 0).
#pragma once

#include <QObject>
#include <QString>
#include <QStringList>
#include <cstdint>
#include <memory>

#include "app/gui/progress_ticker.h"
#include "core/allocation/allocation.h"
#include "core/stats/analysis.h"
#include "core/audio/audio_corpus.h"
#include "core/model/speech_model.h"

class QThreadPool;

namespace qs::gui {

struct ExportRequest {
    std::shared_ptr<const SpeechModel> model;
    std::shared_ptr<const Analysis> analysis;
    Allocation allocation;
    QString audioFolder;                        // calibration audio; empty: none (weights only)
    std::shared_ptr<const AudioCorpus> corpus;  // that folder as loaded, when it is; may be null
    QString outDir;
    int activationBits = 8;    // 0: weights only
    int calibrationClips = 8;  // per speaker
    int threads = 0;           // 0: every core
    QString weightCalibration = QStringLiteral("mse");      // core's names: mse, cosine, minmax, adaround, gptq
    bool onnx = false;                                      // also model.onnx (ExportOptions::onnx)
    int roundingIterations = 100;                           // AdaRound: per layer (core's default)
    QString activationCalibration = QStringLiteral("mse");  // mse, percentile, minmax
    bool evaluate = true;  // then evaluate it against the float model on the test clips of the analysis's
                           // split, or (no split) on the clips the calibration did not read
    std::int64_t maxMemory = 0;  // bytes for the whole process; 0: half of what is available (system_memory.h)
};

struct ExportResult {
    QString dir;
    qint64 bytes = 0;          // the folder's files
    int layers = 0, quantizedLayers = 0;
    int calibrationClips = 0;
    QStringList skipped;       // "file: reason" of each calibration clip that could not be decoded
    double sizeModelMb = 0, packedMb = 0;
    double seconds = 0;

    // The evaluation after the export (ExportRequest::evaluate, with audio): quantized vs float on
    // the test clips (never on a calibration clip), written to evaluation.json and report.csv.
    bool evaluated = false;
    QString evaluationProblem;  // why there is none: cancelled, failed (the export itself stands)
    int evaluatedClips = 0;
    bool onTestClips = false;         // the split's test clips (else the audio minus calibration clips)
    int calibrationClipsLeftOut = 0;
    double sqnrDb = 0;
    double werVsFloat = -1;     // -1: the model has no CTC labels
    double wer = -1, werFloat = -1;  // -1: no reference transcripts
};

class ExportController : public QObject {
    Q_OBJECT
public:
    ExportController(QThreadPool* pool, QObject* parent = nullptr);
    ~ExportController() override;  // cancels; the window's pool waits for the job

    bool isRunning() const { return running_; }
    // False (with failed emitted) when an export is already running or the request is incomplete.
    bool start(const ExportRequest& request);
    void cancel();

signals:
    void started(const QString& what);
    void progress(double fraction, const QString& detail, double secondsLeft);
    void finished(const qs::gui::ExportResult& result);
    void failed(const QString& message);
    void cancelled();

private:
    QThreadPool* pool_;
    ProgressTicker progress_;
    bool running_ = false;
};

}  // namespace qs::gui
