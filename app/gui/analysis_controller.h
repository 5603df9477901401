// Runs qs::analyze off the GUI thread: scans the audio folder with the model's sample rate, keeps the
// chosen speakers and streams every clip through the instrumented model. Progress (with an estimate
// of the time left) arrives through a QFutureWatcher; cancel() sets an atomic flag that core's
// progress callback reads, so a cancelled run ends at its next clip and the app stays usable.
#pragma once

#include <QElapsedTimer>
#include <QFutureWatcher>
#include <QObject>
#include <QStringList>
#include <QTimer>
#include <atomic>
#include <memory>

#include "core/analysis.h"
#include "core/speech_model.h"

class QThreadPool;

namespace qs::gui {

struct AnalysisRequest {
    std::shared_ptr<const SpeechModel> model;
    QString audioRoot;
    QStringList speakers;  // empty: every speaker
    int maxClipsPerSpeaker = 0;
    int threads = 0;       // 0: every core
    // Also run the distance passes (each layer quantized alone to 8 bits on a few clips per speaker),
    // so the KL, L1, L2, cosine and SQNR metrics become available. (layers + 1) passes per clip.
    bool distances = false;
    int distanceClipsPerSpeaker = 4;
};

class AnalysisController : public QObject {
    Q_OBJECT
public:
    AnalysisController(QThreadPool* pool, QObject* parent = nullptr);
    ~AnalysisController() override;  // cancels and waits

    bool isRunning() const { return running_; }
    // False (with failed emitted) when a run is already going or the request is incomplete.
    bool start(const AnalysisRequest& request);
    void cancel();

signals:
    void started(const QString& what);
    void progress(double fraction, const QString& detail, double secondsLeft);
    void finished(std::shared_ptr<const qs::Analysis> analysis);
    void failed(const QString& message);
    void cancelled();

private:
    struct Outcome {
        std::shared_ptr<const Analysis> analysis;
        QString error;
        bool cancelled = false;
    };
    void onFinished();
    void emitProgress();

    QThreadPool* pool_;
    QFutureWatcher<Outcome> watcher_;
    std::shared_ptr<std::atomic<bool>> stop_;
    QElapsedTimer clock_;
    QTimer ticker_;
    double fraction_ = 0.0;
    QString detail_;
    bool running_ = false;
};

}  // namespace qs::gui
