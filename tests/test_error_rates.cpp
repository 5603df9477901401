// labels: unit
// links: qs_evaluation
// WER and CER: hand-computed substitutions, insertions, deletions and empty strings, the text
// normalisation, corpus accumulation, and the edit distance against an independent brute force.
#include <QtTest>
#include <functional>
#include <map>
#include <random>

#include "core/evaluation/error_rates.h"

namespace {

// Edit distance straight from its recursive definition, memoised: an independent check of the
// one-row dynamic programme in core/.
template <typename T>
std::int64_t bruteForceDistance(const std::vector<T>& a, const std::vector<T>& b) {
    std::map<std::pair<std::size_t, std::size_t>, std::int64_t> memo;
    std::function<std::int64_t(std::size_t, std::size_t)> d = [&](std::size_t i, std::size_t j) -> std::int64_t {
        if (i == 0) return std::int64_t(j);
        if (j == 0) return std::int64_t(i);
        const auto key = std::make_pair(i, j);
        if (const auto it = memo.find(key); it != memo.end()) return it->second;
        const std::int64_t best = std::min({d(i - 1, j) + 1, d(i, j - 1) + 1, d(i - 1, j - 1) + (a[i - 1] == b[j - 1] ? 0 : 1)});
        return memo[key] = best;
    };
    return d(a.size(), b.size());
}

std::string join(const std::vector<std::string>& words) {
    std::string s;
    for (const std::string& w : words) s += (s.empty() ? "" : " ") + w;
    return s;
}

}  // namespace

class TestErrorRates : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void normalisation() {
        QCOMPARE(qs::normalizeForScoring("  Hello, World!  It's\t'quoted' well-known.\n"),
                 std::string("hello world it's quoted well known"));
        QCOMPARE(qs::normalizeForScoring("ÉCOLE Über «café» — don’t"), std::string("école über café don't"));
        QCOMPARE(qs::normalizeForScoring("Room 101, 3:15pm"), std::string("room 101 3 15pm"));
        QCOMPARE(qs::normalizeForScoring("''' ... !?"), std::string(""));
        QCOMPARE(qs::scoringWords("THE CAT'S  HAT"), (std::vector<std::string>{"the", "cat's", "hat"}));
        QCOMPARE(qs::scoringChars("Ab c").size(), std::size_t(4));
        QCOMPARE(qs::scoringChars("café").size(), std::size_t(4));  // code points, not UTF-8 bytes
    }

    void wordSubstitutionInsertionDeletion() {
        const qs::ErrorCounts sub = qs::wordErrors("the cat sat", "the cat sit");
        QCOMPARE(sub.edits, std::int64_t(1));
        QCOMPARE(sub.referenceLength, std::int64_t(3));
        QCOMPARE(sub.rate(), 1.0 / 3.0);

        QCOMPARE(qs::wordErrors("the cat sat", "the cat sat down").edits, std::int64_t(1));  // insertion
        QCOMPARE(qs::wordErrors("the cat sat", "the sat").edits, std::int64_t(1));           // deletion
        // a b c d → b c x d e: delete a, insert x, insert e (no cheaper alignment exists).
        const qs::ErrorCounts mixed = qs::wordErrors("a b c d", "b c x d e");
        QCOMPARE(mixed.edits, std::int64_t(3));
        QCOMPARE(mixed.rate(), 0.75);
        // Insertions can push WER above 1.
        QCOMPARE(qs::wordErrors("yes", "no no no").rate(), 3.0);
    }

    void caseAndPunctuationAreNotErrors() {
        QCOMPARE(qs::wordErrors("Hello, world.", "HELLO WORLD").edits, std::int64_t(0));
        QCOMPARE(qs::charErrors("Hello, world.", "HELLO WORLD").edits, std::int64_t(0));
        QCOMPARE(qs::wordErrors("It's 'fine'", "IT'S FINE").edits, std::int64_t(0));
    }

    void characterErrors() {
        const qs::ErrorCounts k = qs::charErrors("kitten", "sitting");  // k→s, e→i, +g
        QCOMPARE(k.edits, std::int64_t(3));
        QCOMPARE(k.referenceLength, std::int64_t(6));
        QCOMPARE(k.rate(), 0.5);
        const qs::ErrorCounts space = qs::charErrors("a b", "ab");  // the space counts as a character
        QCOMPARE(space.edits, std::int64_t(1));
        QCOMPARE(space.referenceLength, std::int64_t(3));
        QCOMPARE(qs::charErrors("café", "cafe").edits, std::int64_t(1));  // one code point, two bytes
    }

    void emptyStrings() {
        const qs::ErrorCounts none = qs::wordErrors("", "");
        QCOMPARE(none.edits, std::int64_t(0));
        QCOMPARE(none.referenceLength, std::int64_t(0));
        QCOMPARE(none.rate(), 0.0);
        // Empty reference: each inserted word is one full error (rate = edits / max(1, length)).
        const qs::ErrorCounts inserted = qs::wordErrors("", "a b");
        QCOMPARE(inserted.edits, std::int64_t(2));
        QCOMPARE(inserted.referenceLength, std::int64_t(0));
        QCOMPARE(inserted.rate(), 2.0);
        QCOMPARE(qs::wordErrors("...", "word").rate(), 1.0);  // punctuation only normalises to empty
        const qs::ErrorCounts deleted = qs::wordErrors("a b", "");
        QCOMPARE(deleted.edits, std::int64_t(2));
        QCOMPARE(deleted.rate(), 1.0);
        QCOMPARE(qs::charErrors("", "ab").rate(), 2.0);
        QCOMPARE(qs::charErrors("ab", "").rate(), 1.0);
    }

    void corpusRateAddsCountsFirst() {
        qs::ErrorCounts total;
        total += qs::wordErrors("one two three", "one too three");                // 1 / 3
        total += qs::wordErrors("four five six seven eight", "for five eight");  // 3 / 5
        total += qs::wordErrors("", "");                                         // 0 / 0
        QCOMPARE(total.edits, std::int64_t(4));
        QCOMPARE(total.referenceLength, std::int64_t(8));
        QCOMPARE(total.rate(), 0.5);  // not the mean of 1/3 and 3/5
        const qs::ErrorCounts sum = qs::wordErrors("a", "b") + qs::wordErrors("", "c");
        QCOMPARE(sum.edits, std::int64_t(2));
        QCOMPARE(sum.rate(), 2.0);
    }

    void editDistanceEqualsBruteForce() {
        std::mt19937 rng(7);
        const std::vector<std::string> vocabulary{"a", "b", "c", "the", "cat"};
        for (int trial = 0; trial < 300; ++trial) {
            std::vector<std::string> ref(rng() % 9), hyp(rng() % 9);
            for (auto& w : ref) w = vocabulary[rng() % vocabulary.size()];
            for (auto& w : hyp) w = vocabulary[rng() % vocabulary.size()];
            const std::int64_t expected = bruteForceDistance(ref, hyp);
            QCOMPARE(qs::editDistance(ref, hyp), expected);
            QCOMPARE(qs::wordErrors(join(ref), join(hyp)).edits, expected);
            QCOMPARE(qs::wordErrors(join(ref), join(hyp)).referenceLength, std::int64_t(ref.size()));

            const std::vector<char32_t> a = qs::scoringChars(join(ref)), b = qs::scoringChars(join(hyp));
            QCOMPARE(qs::charErrors(join(ref), join(hyp)).edits, bruteForceDistance(a, b));
        }
    }
};

QTEST_APPLESS_MAIN(TestErrorRates)
#include "test_error_rates.moc"
