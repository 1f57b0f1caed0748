// Command bench runs howdah's benchmarks against a throwaway PostgreSQL. Each case measures a
// howdah operation and a baseline doing the same work the plainest way, in the same run on the
// same server, and prints both and their ratio (howdah / baseline; lower is better).
//
//	go run ./bench            # all cases
//	go run ./bench -run install
//	go run ./bench -run describe -test.benchtime=5s   # more runs of each side, steadier numbers
package main
