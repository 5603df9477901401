// labels: gui
// The live budget: moving the slider (programmatically, with the keyboard and by dragging) changes
// the allocation the chart, the layer table and the readouts show, and what they show is exactly
// core's BudgetCurve lookup for that budget; include toggles, metric and floor feed the allocation;
// clicking a bar selects that layer everywhere; the speaker comparison says what core's curves say.
#include <QtTest>

#include <QElapsedTimer>
#include <QSlider>
#include <QStyle>
#include <QStyleOptionSlider>
#include <QDoubleSpinBox>
#include <QTableView>
#include <QTemporaryDir>
#include <QLabel>
#include <cmath>
#include <random>
#include <memory>

#include "app/gui/budget_controller.h"
#include "app/gui/main_window.h"
#include "app/gui/studio_state.h"
#include "widgets/figure_view.h"
#include "core/allocation/allocation.h"
#include "core/stats/analyzer.h"
#include "core/allocation/sensitivity.h"
#include "core/model/speech_model.h"
#include "tests/support/audio_files.h"
#include "widgets/allocation_view.h"
#include "widgets/budget_panel.h"
#include "widgets/comparison_view.h"
#include "widgets/histogram_view.h"
#include "widgets/layer_table_model.h"
#include "widgets/model_panel.h"
#include "widgets/plot_style.h"
#include "widgets/sensitivity_view.h"

#include <qcustomplot.h>

using namespace qs;
using namespace qs::gui;

namespace {

// Three speakers whose sines differ in pitch and level, so their statistics differ.
void writeSpeakers(const QString& root) {
    const struct { const char* name; double freq, amp; } speakers[] = {
        {"ann", 180, 0.2}, {"ben", 420, 0.6}, {"cat", 900, 0.35}};
    for (const auto& s : speakers)
        for (int k = 0; k < 2; ++k)
            test::writeSine(QStringLiteral("%1/%2/clip%3.wav").arg(root, s.name).arg(k).toStdString(),
                            test::AudioFormat::Wav16, 16000, 1, 0.8 + 0.3 * k, s.freq * (1 + 0.1 * k), s.amp);
}

QRect handleRect(QSlider* s) {
    QStyleOptionSlider opt;
    opt.initFrom(s);
    opt.orientation = s->orientation();
    opt.minimum = s->minimum();
    opt.maximum = s->maximum();
    opt.sliderPosition = s->sliderPosition();
    opt.sliderValue = s->value();
    opt.singleStep = s->singleStep();
    opt.pageStep = s->pageStep();
    opt.subControls = QStyle::SC_All;
    return s->style()->subControlRect(QStyle::CC_Slider, &opt, QStyle::SC_SliderHandle, s);
}

std::vector<int> expectedBits(const Analysis& a, Metric metric, const std::string& speaker, int minBits,
                              const std::vector<bool>& include, double target) {
    AllocationSettings settings;
    settings.minBits = minBits;
    settings.include = include;
    const BudgetCurve curve = BudgetCurve::build(sizeModelFor(a), layerScores(a, metric, speaker), settings);
    return curve.lookup(target);
}

}  // namespace

class TestGuiBudget : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void cleanup();
    void sliderPositionsGiveCoreAllocation_data();
    void sliderPositionsGiveCoreAllocation();
    void keyboardAndDragMoveTheBudget();
    void spinBoxSetsExactTarget();
    void excludedLayersStayFloat();
    void metricAndFloorFeedTheAllocation();
    void clickingABarSelectsTheLayerEverywhere();
    void comparisonMatchesCoreCurves();
    void sliderStaysLiveOnALargeModel();
    void hiddenFiguresRedrawWhenShown();

private:
    QTemporaryDir dir_;
    std::shared_ptr<const Analysis> analysis_;
    std::unique_ptr<MainWindow> window_;
};

void TestGuiBudget::initTestCase() {
    QVERIFY(dir_.isValid());
    qputenv("XDG_CONFIG_HOME", dir_.filePath(QStringLiteral("config")).toUtf8());
    QCoreApplication::setOrganizationName(QStringLiteral("quantscope-tests"));
    writeSpeakers(dir_.filePath(QStringLiteral("audio")));
    const SpeechModel model = SpeechModel::load(QS_FIXTURES_DIR "/w2v2_traced.pt");
    const AudioCorpus corpus = AudioCorpus::scan(dir_.filePath(QStringLiteral("audio")).toStdString());
    analysis_ = std::make_shared<const Analysis>(analyze(model, corpus));
    QCOMPARE(int(analysis_->speakers.size()), 3);
}

void TestGuiBudget::init() {
    window_ = std::make_unique<MainWindow>();
    window_->setInteractive(false);
    window_->resize(1400, 900);
    window_->show();
    QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
    window_->state()->setAnalysis(analysis_);
    QVERIFY(window_->budget()->ready());
}

void TestGuiBudget::cleanup() { window_.reset(); }

void TestGuiBudget::sliderPositionsGiveCoreAllocation_data() {
    QTest::addColumn<int>("position");
    for (int p : {0, 1, 37, 120, 250, 333, 500, 640, 999, 1000}) QTest::newRow(qPrintable(QString::number(p))) << p;
}

void TestGuiBudget::sliderPositionsGiveCoreAllocation() {
    QFETCH(int, position);
    BudgetPanel* panel = window_->budgetPanel();
    panel->slider()->setValue(position == 0 ? 1 : 0);  // make sure setValue(position) is a change
    panel->slider()->setValue(position);
    const double target = panel->targetAt(position);
    QCOMPARE(window_->budget()->target(), target);

    const std::vector<int> expected = expectedBits(*analysis_, Metric::Median, kAllSpeakers, 2, {}, target);
    QCOMPARE(window_->allocationView()->bits(), expected);
    QCOMPARE(window_->modelPanel()->layerModel()->bits(), expected);
    QCOMPARE(window_->sensitivityView()->shownBits(QStringLiteral("all")), expected);

    // The readouts show core's size, average bits and compression for those bits.
    const SizeModel size = sizeModelFor(*analysis_);
    auto* sizeLabel = panel->findChild<QLabel*>(QStringLiteral("sizeReadout"));
    auto* bitsLabel = panel->findChild<QLabel*>(QStringLiteral("bitsReadout"));
    auto* ratioLabel = panel->findChild<QLabel*>(QStringLiteral("ratioReadout"));
    QVERIFY(sizeLabel->text().contains(formatMb(size.sizeMb(expected))));
    QVERIFY(bitsLabel->text().contains(QString::number(size.averageBits(expected), 'f', 2)));
    QVERIFY(ratioLabel->text().contains(QString::number(size.compressionRatio(expected), 'f', 2)));
    QVERIFY(size.sizeMb(expected) < target);

    // The chart's bars carry those bits.
    auto* bars = qobject_cast<QCPBars*>(window_->allocationView()->plot()->plottable(0));
    QVERIFY(bars);
    QCOMPARE(bars->data()->size(), int(expected.size()));
    for (int i = 0; i < bars->data()->size(); ++i) QCOMPARE(int(bars->data()->at(i)->value), expected[std::size_t(i)]);
}

void TestGuiBudget::keyboardAndDragMoveTheBudget() {
    BudgetPanel* panel = window_->budgetPanel();
    QSlider* slider = panel->slider();
    slider->setValue(500);
    const std::vector<int> before = window_->allocationView()->bits();

    slider->setFocus();
    QTest::keyClick(slider, Qt::Key_PageDown);  // one page (5%) towards the floor
    QCOMPARE(slider->value(), 500 - slider->pageStep());
    QCOMPARE(window_->allocationView()->bits(),
             expectedBits(*analysis_, Metric::Median, kAllSpeakers, 2, {}, panel->targetAt(slider->value())));

    // Drag the handle from the middle to the left end: fewer bits on average than before.
    slider->setValue(500);
    const int mid = slider->value();
    const QPoint grip = handleRect(slider).center();
    QTest::mousePress(slider, Qt::LeftButton, {}, grip);
    for (int x = grip.x(); x > 0; x -= 15) QTest::mouseMove(slider, QPoint(x, grip.y()));
    QTest::mouseMove(slider, QPoint(0, grip.y()));
    QTest::mouseRelease(slider, Qt::LeftButton, {}, QPoint(0, grip.y()));
    QVERIFY2(slider->value() < mid, qPrintable(QStringLiteral("dragged from %1 to %2").arg(mid).arg(slider->value())));
    const std::vector<int> after = window_->allocationView()->bits();
    QCOMPARE(after, expectedBits(*analysis_, Metric::Median, kAllSpeakers, 2, {}, panel->targetAt(slider->value())));
    const SizeModel size = sizeModelFor(*analysis_);
    QVERIFY(size.averageBits(after) < size.averageBits(before));
}

void TestGuiBudget::spinBoxSetsExactTarget() {
    auto* spin = window_->budgetPanel()->findChild<QDoubleSpinBox*>(QStringLiteral("budgetSpin"));
    QVERIFY(spin);
    const double target = 0.5 * (window_->budget()->minSizeMb() + window_->budget()->floatSizeMb());
    const double rounded = std::round(target * 1e4) / 1e4;
    spin->setValue(rounded);
    QCOMPARE(window_->budget()->target(), rounded);
    QCOMPARE(window_->allocationView()->bits(), expectedBits(*analysis_, Metric::Median, kAllSpeakers, 2, {}, rounded));
    QCOMPARE(window_->budgetPanel()->slider()->value(), window_->budgetPanel()->sliderPosition(rounded));
}

void TestGuiBudget::excludedLayersStayFloat() {
    LayerTableModel* table = window_->modelPanel()->layerModel();
    window_->budgetPanel()->slider()->setValue(300);
    const int layer = 3;
    QVERIFY(table->setData(table->index(layer, LayerTableModel::Name), Qt::Unchecked, Qt::CheckStateRole));
    std::vector<bool> include(analysis_->layers.size(), true);
    include[layer] = false;
    const double target = window_->budget()->target();
    const std::vector<int> expected = expectedBits(*analysis_, Metric::Median, kAllSpeakers, 2, include, target);
    QCOMPARE(expected[layer], 32);
    QCOMPARE(window_->allocationView()->bits(), expected);
    QCOMPARE(table->data(table->index(layer, LayerTableModel::Bits), Qt::DisplayRole).toString(), QStringLiteral("32 (excluded)"));
}

void TestGuiBudget::metricAndFloorFeedTheAllocation() {
    BudgetPanel* panel = window_->budgetPanel();
    panel->setMetric(QStringLiteral("abs_max"));
    panel->setMinBits(3);
    panel->setSpeaker(QStringLiteral("ben"));
    panel->slider()->setValue(0);  // the floor
    const double target = panel->targetAt(0);
    const std::vector<int> expected = expectedBits(*analysis_, Metric::AbsMax, "ben", 3, {}, target);
    QCOMPARE(window_->allocationView()->bits(), expected);
    for (int b : expected) QCOMPARE(b, 3);  // just above the floor size only the floor state fits
    panel->slider()->setValue(420);
    QCOMPARE(window_->allocationView()->bits(),
             expectedBits(*analysis_, Metric::AbsMax, "ben", 3, {}, panel->targetAt(420)));
    // Scores in the table are the chosen metric's, for the chosen speaker.
    const std::vector<double> scores = layerScores(*analysis_, Metric::AbsMax, "ben");
    LayerTableModel* table = window_->modelPanel()->layerModel();
    for (int i = 0; i < table->layerCount(); ++i)
        QCOMPARE(table->data(table->index(i, LayerTableModel::Score), Qt::UserRole).toDouble(), scores[std::size_t(i)]);
}

void TestGuiBudget::clickingABarSelectsTheLayerEverywhere() {
    window_->budgetPanel()->slider()->setValue(400);
    AllocationView* view = window_->allocationView();
    QCustomPlot* plot = view->plot();
    plot->replot();
    const int layer = 5;
    const QPoint at(int(plot->xAxis->coordToPixel(layer)), int(plot->yAxis->coordToPixel(1.0)));
    QTest::mouseClick(plot, Qt::LeftButton, {}, at);
    QCOMPARE(window_->state()->selectedLayer(), layer);
    QTableView* table = window_->modelPanel()->table();
    QCOMPARE(table->model()->data(table->currentIndex(), LayerTableModel::LayerRole).toInt(), layer);

    // And the other way round: choosing a row selects the layer in the views.
    const QModelIndex row = table->model()->index(2, 0);
    table->setCurrentIndex(row);
    QCOMPARE(window_->state()->selectedLayer(), table->model()->data(row, LayerTableModel::LayerRole).toInt());
}

void TestGuiBudget::comparisonMatchesCoreCurves() {
    BudgetPanel* panel = window_->budgetPanel();
    ComparisonView* view = window_->comparisonView();
    view->setPair(QStringLiteral("ann"), QStringLiteral("cat"));
    AllocationSettings settings;
    const SizeModel size = sizeModelFor(*analysis_);
    const BudgetCurve a = BudgetCurve::build(size, layerScores(*analysis_, Metric::Median, "ann"), settings);
    const BudgetCurve c = BudgetCurve::build(size, layerScores(*analysis_, Metric::Median, "cat"), settings);
    int identical = 0, different = 0;
    for (int p = 0; p <= 1000; p += 50) {
        panel->slider()->setValue(p);
        const double t = panel->targetAt(p);
        const std::vector<int> ba = a.lookup(t), bc = c.lookup(t);
        int differing = 0;
        for (std::size_t i = 0; i < ba.size(); ++i) differing += ba[i] != bc[i];
        if (differing == 0) {
            ++identical;
            QVERIFY2(view->headline().contains(QStringLiteral("identical allocation at this budget")), qPrintable(view->headline()));
        } else {
            ++different;
            QVERIFY2(view->headline().contains(QStringLiteral("%1 of %2 layers differ").arg(differing).arg(ba.size())),
                     qPrintable(view->headline()));
        }
    }
    qInfo("ann vs cat over 21 budgets: %d identical, %d different", identical, different);

    // The budget ranges cover (floor, float] and agree with a brute-force count at many budgets.
    const SpeakerComparison cmp = window_->budget()->compare(QStringLiteral("ann"), QStringLiteral("cat"));
    QVERIFY(!cmp.ranges.empty());
    QCOMPARE(cmp.ranges.front().fromMb, a.minSizeMb());
    QCOMPARE(cmp.ranges.back().toMb, a.floatSizeMb());
    for (std::size_t i = 1; i < cmp.ranges.size(); ++i) {
        QCOMPARE(cmp.ranges[i].fromMb, cmp.ranges[i - 1].toMb);
        QVERIFY(cmp.ranges[i].differing != cmp.ranges[i - 1].differing);  // merged
    }
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> pick(a.minSizeMb(), a.floatSizeMb());
    for (int k = 0; k < 400; ++k) {
        const double t = std::nextafter(pick(rng), HUGE_VAL);
        const auto r = std::find_if(cmp.ranges.begin(), cmp.ranges.end(),
                                    [&](const BudgetRange& x) { return t > x.fromMb && t <= x.toMb; });
        QVERIFY(r != cmp.ranges.end());
        const std::vector<int> ba = a.lookup(t), bc = c.lookup(t);
        int differing = 0;
        for (std::size_t i = 0; i < ba.size(); ++i) differing += ba[i] != bc[i];
        QCOMPARE(r->differing, differing);
    }
    // A speaker against itself: identical everywhere, and the text says so.
    view->setPair(QStringLiteral("ben"), QStringLiteral("ben"));
    emit view->pairChanged(QStringLiteral("ben"), QStringLiteral("ben"));
    QVERIFY(view->headline().contains(QStringLiteral("identical allocation at this budget")));
    QVERIFY(view->details().contains(QStringLiteral("identical at every budget")));
}

// A wav2vec2-base-sized analysis (200 layers, 16 speakers): every slider step, with the redraw of
// every figure, must stay well inside a frame budget so that dragging feels live.
void TestGuiBudget::sliderStaysLiveOnALargeModel() {
    auto big = std::make_shared<Analysis>();
    std::mt19937 rng(3);
    std::uniform_real_distribution<double> u(0.05, 2.0);
    const int layers = 200, speakers = 16;
    big->model.path = "synthetic.pt";
    for (int s = 0; s < speakers; ++s) big->speakers.push_back({"s" + std::to_string(s), 10, 10, 30.0});
    std::int64_t params = 0;
    for (int l = 0; l < layers; ++l) {
        LayerAnalysis la;
        la.info.name = "encoder.layers." + std::to_string(l / 8) + ".fc" + std::to_string(l % 8);
        la.info.kind = "linear";
        la.info.shape = {768, 768};
        la.info.params = 768 * 768;
        params += la.info.params;
        for (int s = -1; s < speakers; ++s) {
            StatsSummary st;
            st.count = 100000;
            st.median_abs = u(rng);
            st.mean_abs = st.median_abs * 1.2;
            st.abs_max = st.max = st.median_abs * 20;
            st.min = -st.max;
            st.std_abs = st.var_abs = st.median_abs;
            st.p0_1 = -st.median_abs * 5;
            st.p99_9 = st.p99_9_abs = st.median_abs * 5;
            st.histogram = {st.min, st.max, std::vector<std::uint64_t>(128, 100)};
            st.channel_abs_max.assign(768, float(st.median_abs));
            la.stats[s < 0 ? std::string(kAllSpeakers) : "s" + std::to_string(s)] = st;
        }
        big->layers.push_back(std::move(la));
        big->model.layers.push_back(big->layers.back().info);
    }
    big->model.totalParams = params + 1000000;
    window_->state()->setAnalysis(big);
    window_->showFigure(QStringLiteral("sensitivity"));
    window_->sensitivityView()->setShownSpeakers({"all", "s0", "s1", "s2"});
    QVERIFY(window_->budget()->ready());
    QSlider* slider = window_->budgetPanel()->slider();
    QElapsedTimer clock;
    clock.start();
    int steps = 0;
    for (int p = 100; p <= 900; p += 20, ++steps) {
        slider->setValue(p);
        for (FigureView* f : window_->figures()) f->plot()->replot(QCustomPlot::rpImmediateRefresh);
        QCoreApplication::processEvents();
    }
    const double perStep = double(clock.elapsed()) / steps;
    // A figure, not a pass/fail bound: timing belongs in benchmarks, and CI machines are shared.
    qInfo("large model: %.1f ms per slider step (200 layers, 16 speakers, every figure redrawn)", perStep);
    QCOMPARE(window_->allocationView()->bits(), window_->budget()->bits(kAllSpeakers));
}

// Figures in background tabs skip the redraws of live updates (slider drags, partial analyses) and
// redraw once, with the current data, when their tab comes to the front.
void TestGuiBudget::hiddenFiguresRedrawWhenShown() {
    window_->showFigure(QStringLiteral("allocation"));
    FigureView* sensitivity = window_->sensitivityView();
    QVERIFY(!sensitivity->isVisible());
    QSignalSpy hiddenReplots(sensitivity->plot(), &QCustomPlot::afterReplot);
    QSignalSpy shownReplots(window_->allocationView()->plot(), &QCustomPlot::afterReplot);
    QSlider* slider = window_->budgetPanel()->slider();
    for (int p = 200; p <= 800; p += 100) {
        slider->setValue(p);
        QCoreApplication::processEvents();
    }
    QVERIFY(shownReplots.count() >= 1);
    QCOMPARE(hiddenReplots.count(), 0);

    window_->showFigure(QStringLiteral("sensitivity"));
    QTRY_VERIFY(hiddenReplots.count() >= 1);
    const std::vector<int> expected =
        expectedBits(*analysis_, Metric::Median, kAllSpeakers, 2, {}, window_->budgetPanel()->targetAt(800));
    QCOMPARE(window_->sensitivityView()->shownBits(QStringLiteral("all")), expected);
}

QTEST_MAIN(TestGuiBudget)
#include "test_gui_budget.moc"
