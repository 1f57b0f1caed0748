// Command bench runs howdah's benchmarks against a throwaway PostgreSQL. Each case measures a
// howdah operation and a baseline doing the same work the plainest way, in the same run on the
// same server, and prints both and their ratio (howdah / baseline; lower is better).
//
//	go run ./bench            # all cases
//	go run ./bench -run install
//	go run ./bench -run rpc -test.benchtime 5s -cpuprofile rpc.pprof  # then: go tool pprof rpc.pprof
//
// -test.benchtime sets how long each side of a case runs (1s by default); -cpuprofile writes a
// CPU profile of the howdah side of each case run.
//
//	go run ./bench -run describe -test.benchtime=5s   # more runs of each side, steadier numbers
//	go run ./bench -run dashboard -test.benchtime=20x # 20 page loads (and simulation clicks) in Chromium (needs chromium)
//	go run ./bench -run pictrs                        # about 1.5 min: 31 s of setup, one OFFSET pass over 1M hashes takes 36 s
package main
