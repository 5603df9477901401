// labels: unit
// links: qs_evaluation
// Greedy CTC decoding on hand-worked frame sequences: repeats, blanks between repeats, separators,
// special tokens, ties, and the checks on the model output's shape.
#include <QtTest>

#include "core/evaluation/ctc.h"
#include "core/base/errors.h"
#include "core/model/speech_model.h"

namespace {

// blank, separator, letters, an apostrophe and a special token, as a wav2vec2 vocabulary has them.
const std::vector<std::string> kLabels{"-", "|", "A", "B", "C", "'", "<unk>"};

// Logits whose argmax at frame t is winners[t]: the winner gets a large value, the rest noise
// below it (negative too, so the decoder must not assume positive logits).
qs::ModelOutput logitsFor(const std::vector<int>& winners, std::size_t vocabulary = kLabels.size()) {
    qs::ModelOutput out;
    out.shape = {1, std::int64_t(winners.size()), std::int64_t(vocabulary)};
    out.values.resize(winners.size() * vocabulary);
    for (std::size_t t = 0; t < winners.size(); ++t)
        for (std::size_t v = 0; v < vocabulary; ++v)
            out.values[t * vocabulary + v] = std::int64_t(v) == winners[t] ? -0.5f : -3.0f - float((t * 7 + v * 3) % 5);
    return out;
}

std::string decode(const std::vector<int>& winners) { return qs::greedyCtcDecode(logitsFor(winners), kLabels); }

enum : int { _ = 0, SEP = 1, A = 2, B = 3, C = 4, APOS = 5, UNK = 6 };

}  // namespace

class TestCtc : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void collapsesRepeatsAndDropsBlanks() {
        QCOMPARE(decode({A, A, A}), std::string("A"));
        QCOMPARE(decode({_, A, _, _, B, B, _}), std::string("AB"));
        QCOMPARE(decode({_, _, _}), std::string(""));
        QCOMPARE(decode({}), std::string(""));
    }

    void blankBetweenRepeatsKeepsBoth() {
        // "A A _ A": the blank ends the first run, so the letter is emitted twice.
        QCOMPARE(decode({A, A, _, A}), std::string("AA"));
        QCOMPARE(decode({B, _, B, _, B}), std::string("BBB"));
        QCOMPARE(decode({C, C, _, _, C, C}), std::string("CC"));
    }

    void separatorsBecomeSingleSpaces() {
        // "A | B" with repeated and blank-split separators, plus leading and trailing ones.
        QCOMPARE(decode({SEP, A, A, SEP, SEP, _, SEP, B, SEP}), std::string("A B"));
        QCOMPARE(decode({A, B, SEP, _, C, APOS, A, SEP, SEP}), std::string("AB C'A"));
    }

    void whitespaceLabelsAndSpecialTokens() {
        const std::vector<std::string> labels{"<pad>", " ", "x", "<unk>", "th", "  "};
        // blank, space label, multi-character label, special token dropped, all-whitespace label.
        QCOMPARE(qs::ctcText({2, 1, 4, 3, 2, 5, 5, 2}, labels), std::string("x thx x"));
        QCOMPARE(qs::ctcText({1, 1, 3}, labels), std::string(""));
        QCOMPARE(decode({A, UNK, B}), std::string("AB"));
    }

    void pathIsTheCollapsedArgmax() {
        const qs::ModelOutput o = logitsFor({_, A, A, _, A, SEP, SEP, B, _});
        QCOMPARE(qs::greedyCtcPath(o.values.data(), 9, kLabels.size()), (std::vector<int>{A, A, SEP, B}));
    }

    void tiesGoToTheFirstMaximum() {
        // Frame 0: blank and A tie → blank (as torch.argmax). Frame 1: B and C tie → B.
        const std::vector<float> logits{1, 1, 0, 0, 0, 0, 0, /**/ 0, 0, 0, 2, 2, 0, 0};
        QCOMPARE(qs::greedyCtcPath(logits.data(), 2, 7), (std::vector<int>{B}));
    }

    void acceptsTwoDimensionalOutput() {
        qs::ModelOutput o = logitsFor({A, _, B});
        o.shape = {3, std::int64_t(kLabels.size())};
        QCOMPARE(qs::greedyCtcDecode(o, kLabels), std::string("AB"));
    }

    void rejectsWhatItCannotDecode() {
        QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::greedyCtcDecode(logitsFor({A}), {}));
        QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::greedyCtcDecode(logitsFor({A}, 5), kLabels));
        qs::ModelOutput batch = logitsFor({A, B});
        batch.shape = {2, 1, std::int64_t(kLabels.size())};
        QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::greedyCtcDecode(batch, kLabels));
        qs::ModelOutput shortValues = logitsFor({A, B});
        shortValues.values.pop_back();
        QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::greedyCtcDecode(shortValues, kLabels));
        QVERIFY_THROWS_EXCEPTION(qs::InputError, qs::ctcText({7}, kLabels));
        try {
            qs::greedyCtcDecode(logitsFor({A}, 5), kLabels);
        } catch (const qs::InputError& e) {
            QCOMPARE(std::string(e.what()), std::string("the model's output has 5 classes but model.json lists 7 labels"));
        }
    }
};

QTEST_APPLESS_MAIN(TestCtc)
#include "test_ctc.moc"
