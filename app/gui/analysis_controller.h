// Runs qs::analyze off the GUI thread: scans the audio folder with the model's sample rate, keeps the
// chosen speakers and streams every clip through the instrumented model. Progress (with an estimate
// of the time left) arrives through a QFutureWatcher; cancel() sets an atomic flag that the job's
// threads check at every layer of a forward pass (core/base/cancel.h), so a cancelled run ends within
// a second and the app stays usable.
// While it runs, each speaker's progress (clips done of its clips) and, as each speaker completes,
// the analysis so far (that speaker and the ones before it, "all" pooled over them) are reported;
// when several speakers complete before the GUI thread looks, only the latest partial is delivered.
#pragma once

#include <QElapsedTimer>
#include <QFutureWatcher>
#include <QObject>
#include <QStringList>
#include <QTimer>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "core/audio/clip_split.h"
#include "core/audio/speaker_profiles.h"
#include "core/stats/analysis.h"
#include "core/model/speech_model.h"

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
    // Only the tune clips of this split are analysed (no split: every clip); the analysis records it.
    SplitSpec split;
    // Speaker groups whose statistics are pooled like "all" (members outside the analysis are ignored).
    std::vector<Profile> groups;
    // Memory budget for the whole process in bytes; 0: half of what is available (system_memory.h).
    // Recordings are cut into windows shorter than 30 s, and fewer clips run at once, to fit it.
    std::int64_t maxMemory = 0;
};

class AnalysisController : public QObject {
    Q_OBJECT
public:
    static constexpr int kPartialIntervalMs = 500;

    AnalysisController(QThreadPool* pool, QObject* parent = nullptr);
    ~AnalysisController() override;  // cancels and waits

    bool isRunning() const { return running_; }
    // False (with failed emitted) when a run is already going or the request is incomplete.
    bool start(const AnalysisRequest& request);
    void cancel();

signals:
    void started(const QString& what);
    void progress(double fraction, const QString& detail, double secondsLeft);
    // The speakers the run covers, in order, with their clip counts (after the clip limit).
    void speakersPlanned(const QStringList& speakers, const QList<int>& clips);
    // clipsDone of clipsTotal clips of speaker have been processed (analysed or skipped).
    void speakerProgress(const QString& speaker, int clipsDone, int clipsTotal);
    // The analysis so far, complete for every speaker it lists; finished() follows with the result.
    // Each one redraws every figure, so they come at most every kPartialIntervalMs (the first at
    // once, then the latest of those that arrived meanwhile).
    void speakerFinished(std::shared_ptr<const qs::Analysis> partial, const QString& speaker);
    void finished(std::shared_ptr<const qs::Analysis> analysis);
    void failed(const QString& message);
    void cancelled();
    // Something the user should know about the run: recordings cut into shorter windows to fit the
    // memory budget. Comes before finished() / failed().
    void notice(const QString& message);

private:
    struct Outcome {
        std::shared_ptr<const Analysis> analysis;
        QString error;
        bool cancelled = false;
    };
    void onFinished();
    void emitProgress();
    void deliverPartial(int run);
    // From the worker: f runs on the GUI thread unless the run is over or another one started.
    template <typename F>
    void postToGui(int run, F f);
    void reportSpeakerProgress(int run, const QStringList& names, const QList<int>& counts, std::size_t done);

    // The latest partial analysis from the worker, waiting for the GUI thread.
    struct PartialSlot {
        std::mutex mutex;
        std::shared_ptr<const Analysis> latest;
        bool posted = false;
    };
    PartialSlot partial_;
    QElapsedTimer lastPartial_;  // since the last speakerFinished of this run
    QTimer partialTimer_;        // delivers a partial that arrived too soon after the last one
    int run_ = 0;  // numbers the runs, so reports from an earlier one are dropped

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
