// The analysis job: scan, analyse and distance passes on the pool, progress and partial results to
// the GUI thread.
#include "app/gui/analysis_controller.h"

#include <QFileInfo>
#include <QPromise>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>
#include <algorithm>

#include "app/gui/background_job.h"
#include "core/engine/engine.h"
#include "core/stats/analyzer.h"
#include "core/audio/audio_corpus.h"
#include "core/stats/distance_scores.h"
#include "core/base/cancel.h"
#include "core/base/memory_plan.h"
#include "core/base/system_memory.h"

namespace qs::gui {

namespace {
constexpr int kProgressScale = 10000;
}

template <typename F>
void AnalysisController::postToGui(int run, F f) {
    QMetaObject::invokeMethod(
        this,
        [this, run, f = std::move(f)] {
            if (run == run_ && running_) f();
        },
        Qt::QueuedConnection);
}

AnalysisController::AnalysisController(QThreadPool* pool, QObject* parent) : QObject(parent), pool_(pool) {
    connect(&watcher_, &QFutureWatcherBase::finished, this, &AnalysisController::onFinished);
    connect(&watcher_, &QFutureWatcherBase::progressValueChanged, this, [this](int value) {
        fraction_ = double(value) / kProgressScale;
        emitProgress();
    });
    connect(&watcher_, &QFutureWatcherBase::progressTextChanged, this, [this](const QString& text) { detail_ = text; });
    // The estimate keeps moving between clips, so refresh it on a clock as well.
    ticker_.setInterval(500);
    connect(&ticker_, &QTimer::timeout, this, &AnalysisController::emitProgress);
    partialTimer_.setSingleShot(true);
    connect(&partialTimer_, &QTimer::timeout, this, [this] { deliverPartial(run_); });
}

AnalysisController::~AnalysisController() {
    if (stop_) stop_->store(true);
    watcher_.waitForFinished();
}

bool AnalysisController::start(const AnalysisRequest& request) {
    if (running_) {
        emit failed(tr("an analysis is already running"));
        return false;
    }
    if (!request.model) {
        emit failed(tr("open a model before analysing"));
        return false;
    }
    if (request.audioRoot.isEmpty()) {
        emit failed(tr("add an audio folder and check at least one speaker before analysing"));
        return false;
    }
    stop_ = std::make_shared<std::atomic<bool>>(false);
    running_ = true;
    const int run = ++run_;
    {
        std::lock_guard<std::mutex> lock(partial_.mutex);
        partial_.latest.reset();
        partial_.posted = false;
    }
    partialTimer_.stop();
    lastPartial_.invalidate();
    fraction_ = 0.0;
    detail_.clear();
    clock_.start();
    ticker_.start();

    auto stop = stop_;
    const std::shared_ptr<const SpeechModel> model = request.model;
    const std::string root = request.audioRoot.toStdString();
    std::vector<std::string> speakers;
    for (const QString& s : request.speakers) speakers.push_back(s.toStdString());
    const int maxClips = request.maxClipsPerSpeaker;
    const std::int64_t maxMemory = request.maxMemory;
    AnalyzeOptions options;
    options.threads = request.threads;
    // Runs on the worker: keep the latest partial and ask the GUI thread to pick it up once.
    options.speakerFinished = [this, run](const Analysis& partial) {
        auto copy = std::make_shared<const Analysis>(partial);
        std::lock_guard<std::mutex> lock(partial_.mutex);
        partial_.latest = std::move(copy);
        if (partial_.posted) return;
        partial_.posted = true;
        QMetaObject::invokeMethod(this, [this, run] { deliverPartial(run); }, Qt::QueuedConnection);
    };
    DistanceOptions distance;
    distance.threads = request.threads;
    distance.clipsPerSpeaker = request.distanceClipsPerSpeaker;
    const bool distances = request.distances;
    const SplitSpec splitSpec = request.split;
    const std::vector<Profile> groups = request.groups;

    auto job = [this, run, stop, model, root, speakers, maxClips, maxMemory, analyzeOptions = options,
                distanceOptions = distance, distances, splitSpec, groups](QPromise<Outcome>& promise) {
        Outcome out;
        JobOutcome<int> caught;
        // Every layer of every forward pass of this job checks the flag (core/base/cancel.h).
        CancelScope cancelScope(stop.get());
        try {
            // The window and the workers fit the memory budget, resolved once for the whole run.
            const std::int64_t budget = resolveMemoryBudget(maxMemory);
            AnalyzeOptions options = analyzeOptions;
            DistanceOptions distance = distanceOptions;
            options.maxMemory = distance.maxMemory = budget;
            CorpusOptions corpusOptions = corpusOptionsFor(model->info());
            const double wanted = corpusOptions.windowSeconds;
            corpusOptions.windowSeconds = fitWindow(workerMemory(model->info()), budget, wanted, model->info().path);
            AudioCorpus corpus = AudioCorpus::scan(root, corpusOptions);
            if (corpusOptions.windowSeconds < wanted && corpus.cutFiles() > 0) {
                const QString text = tr("%n recording(s) cut into %1 s windows, not %2 s, to fit the memory limit of %3",
                                        nullptr, int(corpus.cutFiles()))
                                         .arg(corpusOptions.windowSeconds, 0, 'f', 1)
                                         .arg(wanted)
                                         .arg(QString::fromStdString(memoryText(double(budget))));
                postToGui(run, [this, text] { emit notice(text); });
            }
            if (!speakers.empty()) corpus.selectSpeakers(speakers);
            corpus.limitClips(maxClips);
            // The test clips are held out: analysis, allocation and calibration see the tune clips only.
            const ClipSplit split = ClipSplit::make(corpus, splitSpec);
            corpus = split.tuneCorpus(corpus);
            std::vector<std::string> present;
            for (const auto& s : corpus.speakers()) present.push_back(s.name);
            // Groups keep the members this analysis covers.
            std::vector<Profile> kept = groups;
            for (Profile& g : kept)
                g.speakers.erase(std::remove_if(g.speakers.begin(), g.speakers.end(), [&](const std::string& m) {
                    return std::find(present.begin(), present.end(), m) == present.end();
                }), g.speakers.end());
            kept.erase(std::remove_if(kept.begin(), kept.end(), [](const Profile& g) { return g.speakers.empty(); }),
                       kept.end());
            options.profiles = kept;
            distance.profiles = kept;
            double totalSeconds = 0;
            QStringList names;
            QList<int> counts;
            for (const auto& s : corpus.speakers()) {
                for (const auto& c : s.clips) totalSeconds += c.seconds;
                names << QString::fromStdString(s.name);
                counts << int(s.clips.size());
            }
            postToGui(run, [this, names, counts] { emit speakersPlanned(names, counts); });
            promise.setProgressRange(0, kProgressScale);
            // With distance passes, the statistics pass is the first fifth of the work.
            const double share = distances ? 0.2 : 1.0;
            std::size_t lastDone = std::size_t(-1);
            auto progress = [&](const Progress& p) {
                if (stop->load() || promise.isCanceled()) return false;
                const double f = totalSeconds > 0 ? p.seconds / totalSeconds : p.fraction();
                promise.setProgressValueAndText(int(share * f * kProgressScale), QString::fromStdString(p.message));
                if (p.done != lastDone) {
                    lastDone = p.done;
                    reportSpeakerProgress(run, names, counts, p.done);
                }
                return true;
            };
            Analysis analysis = engine().analyze(*model, corpus, options, progress);
            if (distances) {
                auto distanceProgress = [&](const Progress& p) {
                    if (stop->load() || promise.isCanceled()) return false;
                    promise.setProgressValueAndText(int((share + (1 - share) * p.fraction()) * kProgressScale),
                                                    QStringLiteral("distance passes: ") + QString::fromStdString(p.message));
                    return true;
                };
                attachDistances(analysis, engine().distanceScores(*model, corpus, distance, distanceProgress));
            }
            analysis.split = split.record();
            out.analysis = std::make_shared<const Analysis>(std::move(analysis));
        } catch (...) {
            captureException(caught);
            out.error = caught.error;
            out.cancelled = caught.cancelled;
        }
        promise.addResult(std::move(out));
    };
    watcher_.setFuture(QtConcurrent::run(pool_, job));
    emit started(tr("Analysing %1").arg(QFileInfo(request.audioRoot).fileName()));
    return true;
}

void AnalysisController::reportSpeakerProgress(int run, const QStringList& names, const QList<int>& counts,
                                               std::size_t done) {
    // done counts the run's clips in speaker order: the speaker whose clip finished last, and the next
    // one as started when that speaker is complete.
    std::size_t before = 0;
    for (int i = 0; i < names.size(); ++i) {
        const std::size_t n = std::size_t(counts[i]);
        if (done <= before + n || i + 1 == names.size()) {
            const int mine = int(std::min(done - before, n));
            const QString name = names[i];
            const int total = counts[i];
            postToGui(run, [this, name, mine, total] { emit speakerProgress(name, mine, total); });
            if (mine == total && i + 1 < names.size() && done > 0) {
                const QString next = names[i + 1];
                const int nextTotal = counts[i + 1];
                postToGui(run, [this, next, nextTotal] { emit speakerProgress(next, 0, nextTotal); });
            }
            return;
        }
        before += n;
    }
}

void AnalysisController::deliverPartial(int run) {
    if (run == run_ && running_ && lastPartial_.isValid() && lastPartial_.elapsed() < kPartialIntervalMs) {
        // Too soon: the slot stays "posted", so the worker only replaces what the timer will take.
        if (!partialTimer_.isActive()) partialTimer_.start(int(kPartialIntervalMs - lastPartial_.elapsed()));
        return;
    }
    std::shared_ptr<const Analysis> partial;
    {
        std::lock_guard<std::mutex> lock(partial_.mutex);
        partial = std::move(partial_.latest);
        partial_.latest.reset();
        partial_.posted = false;
    }
    if (run != run_ || !running_ || !partial || partial->speakers.empty()) return;
    lastPartial_.start();
    emit speakerFinished(partial, QString::fromStdString(partial->speakers.back().name));
}

void AnalysisController::cancel() {
    if (running_ && stop_) stop_->store(true);
}

void AnalysisController::emitProgress() {
    if (!running_) return;
    const double elapsed = clock_.elapsed() / 1000.0;
    const double left = fraction_ > 0.02 ? elapsed * (1.0 - fraction_) / fraction_ : -1.0;
    emit progress(fraction_, detail_, left);
}

void AnalysisController::onFinished() {
    ticker_.stop();
    partialTimer_.stop();
    running_ = false;
    const QFuture<Outcome> future = watcher_.future();
    Outcome out;
    if (future.resultCount() > 0) out = future.result();
    if (out.cancelled || (stop_ && stop_->load() && !out.analysis)) {
        emit cancelled();
    } else if (out.analysis) {
        emit finished(out.analysis);
    } else {
        emit failed(out.error.isEmpty() ? tr("the analysis stopped without a result") : out.error);
    }
}

}  // namespace qs::gui
