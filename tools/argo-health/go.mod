// berth-argo-health: Argo CD's Lua health checks run as Argo CD runs them (see main.go).
// gopher-lua is pinned to the version Argo CD's go.mod requires; it is the cache key of
// scripts/cluster/build-tools.sh.
module local/berth-argo-health

go 1.26.0

require (
	github.com/yuin/gopher-lua v1.1.2
	sigs.k8s.io/yaml v1.6.0
)

require go.yaml.in/yaml/v2 v2.4.2 // indirect
