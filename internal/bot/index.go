package bot

import (
	"math"
	"sort"
)

// BM25 parameters. k1 sets how fast repeated terms saturate, b how much long fields are
// penalised. Question and keywords weigh more than the answer: a visitor's words are
// more likely to echo the question than the prose of its answer.
const (
	bm25K1         = 1.2
	bm25B          = 0.75
	weightQuestion = 2.5
	weightAnswer   = 1.0
)

// Index is a BM25F index over knowledge entries, with two fields: question + keywords,
// and answer. It is immutable once built and safe for concurrent use.
type Index struct {
	entries []Entry
	docs    []doc
	df      map[string]int
	avgLen  [2]float64
}

type doc struct {
	tf       [2]map[string]int // per field: term → count
	length   [2]int
	question map[string]struct{} // the question's own terms (not keywords)
}

// Hit is one search result.
type Hit struct {
	Entry Entry
	Score float64
	// Coverage is the share of the query's information (IDF-weighted) found in the entry.
	Coverage float64
	// QuestionCoverage is the share of the entry's question terms found in the query.
	QuestionCoverage float64
}

// NewIndex indexes entries.
func NewIndex(entries []Entry) *Index {
	ix := &Index{entries: entries, docs: make([]doc, len(entries)), df: map[string]int{}}
	var total [2]int
	for i, e := range entries {
		d := &ix.docs[i]
		q := terms(e.Question)
		d.question = make(map[string]struct{}, len(q))
		for _, t := range q {
			d.question[t] = struct{}{}
		}
		for _, k := range e.Keywords {
			q = append(q, terms(k)...)
		}
		fields := [2][]string{q, terms(e.Answer)}
		seen := map[string]bool{}
		for f, ts := range fields {
			d.tf[f] = make(map[string]int, len(ts))
			d.length[f] = len(ts)
			total[f] += len(ts)
			for _, t := range ts {
				d.tf[f][t]++
				if !seen[t] {
					seen[t] = true
					ix.df[t]++
				}
			}
		}
	}
	for f := range total {
		if len(entries) > 0 {
			ix.avgLen[f] = float64(total[f]) / float64(len(entries))
		}
		if ix.avgLen[f] == 0 {
			ix.avgLen[f] = 1
		}
	}
	return ix
}

// idf is the BM25 inverse document frequency (the always-positive variant). A term no
// entry has gets the highest value: an unknown word in the question is a strong sign
// the knowledge does not cover it.
func (ix *Index) idf(t string) float64 {
	n := float64(len(ix.entries))
	df := float64(ix.df[t])
	return math.Log(1 + (n-df+0.5)/(df+0.5))
}

// Search returns the best k entries for query, best first; only entries sharing at
// least one term with the query are returned. Ties keep the entries' order.
func (ix *Index) Search(query string, k int) []Hit {
	qt := unique(terms(query))
	if len(qt) == 0 || k <= 0 {
		return nil
	}
	var totalIDF float64
	idf := make([]float64, len(qt))
	for i, t := range qt {
		idf[i] = ix.idf(t)
		totalIDF += idf[i]
	}
	weights := [2]float64{weightQuestion, weightAnswer}
	var hits []Hit
	for di, d := range ix.docs {
		var score, matched float64
		var inQuestion int
		for i, t := range qt {
			var tf float64
			for f := range weights {
				if c := d.tf[f][t]; c > 0 {
					norm := 1 - bm25B + bm25B*float64(d.length[f])/ix.avgLen[f]
					tf += weights[f] * float64(c) / norm
				}
			}
			if tf == 0 {
				continue
			}
			score += idf[i] * tf / (bm25K1 + tf)
			matched += idf[i]
			if has(d.question, t) {
				inQuestion++
			}
		}
		if score == 0 {
			continue
		}
		h := Hit{Entry: ix.entries[di], Score: score, Coverage: matched / totalIDF}
		if len(d.question) > 0 {
			h.QuestionCoverage = float64(inQuestion) / float64(len(d.question))
		}
		hits = append(hits, h)
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].Score > hits[j].Score })
	if len(hits) > k {
		hits = hits[:k]
	}
	return hits
}

// confidence turns the two best hits into a number from 0 to 1: how much of the
// question the best entry covers, discounted when the runner-up is nearly as good
// (ambiguous) and raised when the query says what the entry's question says.
func confidence(hits []Hit) float64 {
	if len(hits) == 0 {
		return 0
	}
	top := hits[0]
	margin := 1.0
	if len(hits) > 1 {
		margin = (top.Score - hits[1].Score) / top.Score
	}
	c := top.Coverage * (0.5 + 0.25*margin + 0.25*top.QuestionCoverage)
	return math.Max(0, math.Min(1, c))
}

func unique(ts []string) []string {
	seen := make(map[string]bool, len(ts))
	out := ts[:0]
	for _, t := range ts {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}
