module berth.dev/tools/pause

go 1.24
