// The model export job: calibration corpus (tune clips), export and the optional evaluation (test
// clips, never calibration clips), on the pool with progress and cancel.
#include "app/gui/export_controller.h"

#include <QDirIterator>
#include <QFileInfo>
#include <optional>
#include <set>

#include "app/gui/background_job.h"
#include "core/audio/clip_split.h"
#include "core/base/cancel.h"
#include "core/base/memory_plan.h"
#include "core/base/system_memory.h"
#include "core/engine/engine.h"
#include "core/evaluation/evaluation.h"
#include "core/evaluation/trn_files.h"
#include "core/export/calibration_record.h"
#include "core/export/export_report.h"
#include "core/export/quantized_export.h"

namespace qs::gui {

namespace {

qint64 folderBytes(const QString& dir) {
    qint64 bytes = 0;
    QDirIterator it(dir, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        it.next();
        bytes += it.fileInfo().size();
    }
    return bytes;
}

// The allocation's audio: the loaded corpus when it was scanned as the model needs (and in windows
// that fit the memory budget), else the folder rescanned so; only the allocation's speaker (or its
// group's members) unless it is "all". Null without a folder.
std::unique_ptr<AudioCorpus> allocationAudio(const SpeechModel& model, const std::string& folder,
                                             const std::shared_ptr<const AudioCorpus>& loaded, const Analysis& analysis,
                                             const std::string& speaker, std::int64_t budget) {
    if (folder.empty()) return nullptr;
    CorpusOptions options = corpusOptionsFor(model.info());
    options.windowSeconds = fitWindow(workerMemory(model.info()), budget, options.windowSeconds, model.info().path);
    std::unique_ptr<AudioCorpus> corpus;
    if (loaded && loaded->options().targetRate == options.targetRate && loaded->options().normalize == options.normalize &&
        loaded->options().windowSeconds <= options.windowSeconds) {
        corpus = std::make_unique<AudioCorpus>(*loaded);
    } else {
        corpus = std::make_unique<AudioCorpus>(AudioCorpus::scan(folder, options));
    }
    if (speaker != kAllSpeakers) {
        const std::vector<std::string> members = analysis.membersOf(speaker);
        corpus->selectSpeakers(members.empty() ? std::vector<std::string>{speaker} : members);
    }
    return corpus;
}

// Quantized vs float on the evaluation clips; its files go into the export folder.
void evaluateExport(const SpeechModel& model, const AudioCorpus& corpus, const SplitRecord& split, int leftOut,
                    int threads, std::int64_t budget, const ProgressFn& progress, ExportResult& r) {
    const std::string dir = r.dir.toStdString();
    const std::shared_ptr<const SpeechModel> quantized = engine().loadModel(dir + "/model.pt");
    EvaluateOptions options;
    options.threads = threads;
    options.maxMemory = budget;
    Evaluation e = engine().evaluate(model, *quantized, corpus, options, progress);
    e.split = split;
    e.calibrationClipsLeftOut = leftOut;
    saveEvaluation(dir + "/evaluation.json", e);
    if (e.transcripts) writeTrnFiles(dir, e);  // reference.trn, float.trn, quantized.trn for sclite
    updateReportCsv(dir + "/report.csv", evaluationFields(e));
    r.evaluated = true;
    r.evaluatedClips = e.all.clips;
    r.onTestClips = split.active();
    r.calibrationClipsLeftOut = leftOut;
    r.sqnrDb = e.all.output.sqnrDb;
    if (e.transcripts) r.werVsFloat = e.all.werVsFloat.rate();
    if (e.transcripts && e.all.referenceClips > 0) r.wer = e.all.werQuantized.rate(), r.werFloat = e.all.werFloat.rate();
}

}  // namespace

ExportController::ExportController(QThreadPool* pool, QObject* parent) : QObject(parent), pool_(pool) {
    connect(&progress_, &ProgressTicker::progress, this, &ExportController::progress);
}

ExportController::~ExportController() { cancel(); }

bool ExportController::start(const ExportRequest& request) {
    QString problem;
    if (running_) {
        problem = tr("an export is already running");
    } else if (!request.model) {
        problem = tr("open the model before exporting it");
    } else if (!request.analysis || request.allocation.layers.empty()) {
        problem = tr("run an analysis and choose a budget before exporting");
    } else if (request.outDir.isEmpty()) {
        problem = tr("choose an output folder");
    } else if (request.activationBits == 1 || request.activationBits < 0 || request.activationBits > 16) {
        problem = tr("activation bits must be 0 (weights only) or 2 to 16, not %1").arg(request.activationBits);
    } else if (request.calibrationClips < 1) {
        problem = tr("calibrate on at least one clip per speaker");
    } else if (request.activationBits > 0 && request.audioFolder.isEmpty()) {
        problem = tr("calibrating the activations needs the analysed audio: add its folder, or export weights only "
                     "(activation bits off)");
    } else if (request.weightCalibration == QLatin1String("cosine") && request.audioFolder.isEmpty()) {
        problem = tr("the output cosine weight search needs the analysed audio: add its folder, or choose MSE search");
    } else if ((request.weightCalibration == QLatin1String("adaround") || request.weightCalibration == QLatin1String("gptq")) &&
               request.audioFolder.isEmpty()) {
        problem = tr("learned rounding needs the analysed audio: add its folder, or choose MSE search");
    } else if (request.roundingIterations < 0) {
        problem = tr("AdaRound needs 0 or more iterations");
    }
    ExportOptions options;  // granularity, candidates, percentile, groups: core's defaults
    if (problem.isEmpty()) {
        try {  // the names come from the dialog or stored settings
            const WeightMethod weights = parseWeightCalibration(request.weightCalibration.toStdString());
            options.weights.method = weights.range;
            options.rounding.method = weights.rounding;
            options.rounding.adaround.iterations = request.roundingIterations;
            options.activations.method = parseActivationRange(request.activationCalibration.toStdString());
        } catch (const Error& e) {
            problem = QString::fromStdString(e.what());
        }
    }
    if (!problem.isEmpty()) {
        emit failed(problem);
        return false;
    }

    const std::shared_ptr<ProgressSlot> slot = progress_.start();
    running_ = true;

    const std::shared_ptr<const SpeechModel> model = request.model;
    const std::shared_ptr<const Analysis> analysis = request.analysis;
    const std::shared_ptr<const AudioCorpus> loaded = request.corpus;
    const Allocation allocation = request.allocation;
    const std::string folder = request.audioFolder.toStdString();
    const std::string outDir = request.outDir.toStdString();
    options.activationBits = request.activationBits;
    options.calibrationClips = request.calibrationClips;
    options.onnx = request.onnx;
    options.threads = request.threads;
    const std::int64_t maxMemory = request.maxMemory;

    const bool evaluateAfter = request.evaluate;
    auto work = [slot, model, analysis, loaded, allocation, folder, outDir, given = options, maxMemory, evaluateAfter]() {
        QElapsedTimer clock;
        clock.start();
        // Every layer of every forward pass, every search candidate and every file written checks it.
        CancelScope cancelScope(&slot->stop);
        ExportOptions options = given;
        options.maxMemory = resolveMemoryBudget(maxMemory);
        const ProgressFn progress = ProgressSlot::callback(slot);
        // Calibration sees the tune clips of the analysis's split; the evaluation afterwards its test
        // clips, or (no split) the clips the calibration did not read.
        const std::unique_ptr<AudioCorpus> audio = allocationAudio(*model, folder, loaded, *analysis, allocation.speaker, options.maxMemory);
        std::unique_ptr<AudioCorpus> corpus;
        std::optional<ClipSplit> split;
        if (audio) {
            split = ClipSplit::fromRecord(*audio, analysis->split);
            corpus = std::make_unique<AudioCorpus>(split->tuneCorpus(*audio));
        }
        if (slot->stop.load()) throw Cancelled();
        const ExportSummary s =
            engine().exportQuantizedModel(*model, *analysis, allocation, corpus.get(), options, outDir, progress);
        ExportResult r;
        r.dir = QFileInfo(QString::fromStdString(s.dir.empty() ? outDir : s.dir)).absoluteFilePath();
        r.layers = int(s.layers.size());
        for (const LayerEncoding& l : s.layers) r.quantizedLayers += l.bits < 32;
        r.calibrationClips = s.calibrationClips;
        for (const SkippedFile& f : s.skipped) r.skipped << QString::fromStdString(f.path + ": " + f.reason);
        r.sizeModelMb = s.sizeModelMb;
        r.packedMb = s.packedMb;
        if (evaluateAfter && audio) {
            slot->beginPhase(QStringLiteral("evaluating"));
            // The export is complete: stopping or failing here leaves it as it is, without the measures.
            auto evaluationProgress = [&progress](const Progress& p) {
                Progress named = p;
                named.message = "evaluating: " + p.message;
                return progress(named);
            };
            try {
                AudioCorpus evaluation = split->active() ? split->testCorpus(*audio) : *audio;
                std::size_t before = 0, after = 0;
                for (const Speaker& sp : evaluation.speakers()) before += sp.clips.size();
                const std::set<std::string> used(s.calibrationFiles.begin(), s.calibrationFiles.end());
                evaluation.keepClips([&](const Clip& c) { return !used.count(calibrationFileKey(c.path)); });
                for (const Speaker& sp : evaluation.speakers()) after += sp.clips.size();
                if (after == 0)
                    throw InputError("every clip was used for calibration, so nothing is left to measure quality on: "
                                     "choose a test split in the audio panel and analyse again");
                evaluateExport(*model, evaluation, analysis->split, int(before - after), options.threads,
                               options.maxMemory, evaluationProgress, r);
            } catch (const Cancelled&) {
                r.evaluationProblem = QStringLiteral("the evaluation was cancelled");
            } catch (const Error& e) {
                r.evaluationProblem = QString::fromStdString(e.what());
            }
        }
        r.bytes = folderBytes(r.dir);
        r.seconds = clock.elapsed() / 1000.0;
        return r;
    };
    runInBackground<ExportResult>(pool_, this, std::move(work), [this](const JobOutcome<ExportResult>& out) {
        progress_.finish();
        running_ = false;
        if (out.value) {
            emit finished(*out.value);
        } else if (out.cancelled) {
            emit cancelled();
        } else {
            emit failed(out.error.isEmpty() ? tr("the export stopped without a result") : out.error);
        }
    });
    emit started(tr("Exporting to %1").arg(QFileInfo(request.outDir).fileName()));
    return true;
}

void ExportController::cancel() {
    if (running_) progress_.cancel();
}

}  // namespace qs::gui
