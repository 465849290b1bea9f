// Command berth-argo-health runs Argo CD resource health checks (health.lua) the way Argo CD
// does: in gopher-lua, the interpreter Argo CD embeds, with the object in the global `obj`, the
// returned table read as {status, message}, and only the libraries Argo CD opens for a health
// check configured in argocd-cm (package, base, table). Argo CD opens the full standard library
// only for its built-in checks, so a script that passes here also runs from the ConfigMap.
//
// Usage:
//
//	berth-argo-health run [-open-libs] HEALTH_LUA OBJECT_FILE   print {"status":...,"message":...}
//	berth-argo-health test DIR                                   run every health_test.yaml under DIR
//
// OBJECT_FILE is YAML or JSON. `test` follows Argo CD's resource_customizations layout: each
// directory with a health.lua has a health_test.yaml listing {inputPath, healthStatus} cases. Every
// case runs with and without the standard library, must match exactly (status and message, as
// Argo CD's own test does), and a mismatch makes the command exit 1.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	lua "github.com/yuin/gopher-lua"
	"sigs.k8s.io/yaml"
)

// HealthStatus is gitops-engine's health.HealthStatus as Argo CD compares it.
type HealthStatus struct {
	Status  string `json:"status,omitempty"`
	Message string `json:"message,omitempty"`
}

// healthTest is one case of a health_test.yaml.
type healthTest struct {
	InputPath    string       `json:"inputPath"`
	HealthStatus HealthStatus `json:"healthStatus"`
}

// validStatuses are the codes Argo CD accepts from a script (util/lua isValidHealthStatusCode).
var validStatuses = map[string]bool{
	"Unknown": true, "Progressing": true, "Suspended": true, "Healthy": true, "Degraded": true, "Missing": true,
}

// invalidHealthStatus is Argo CD's message for a status outside validStatuses.
const invalidHealthStatus = "Lua returned an invalid health status"

// decodeValue converts a decoded JSON/YAML value to Lua as Argo CD's util/lua decodeValue does.
func decodeValue(l *lua.LState, value any) lua.LValue {
	switch v := value.(type) {
	case bool:
		return lua.LBool(v)
	case float64:
		return lua.LNumber(v)
	case int64:
		return lua.LNumber(v)
	case string:
		return lua.LString(v)
	case json.Number:
		return lua.LString(v)
	case []any:
		arr := l.CreateTable(len(v), 0)
		for _, item := range v {
			arr.Append(decodeValue(l, item))
		}
		return arr
	case map[string]any:
		tbl := l.CreateTable(0, len(v))
		for key, item := range v {
			tbl.RawSetH(lua.LString(key), decodeValue(l, item))
		}
		return tbl
	}
	return lua.LNil
}

// stringField reads a string (or absent) field of the returned table.
func stringField(tbl *lua.LTable, key string) (string, error) {
	switch v := tbl.RawGetString(key).(type) {
	case *lua.LNilType:
		return "", nil
	case lua.LString:
		return string(v), nil
	default:
		return "", fmt.Errorf("%s is a Lua %s, not a string", key, v.Type())
	}
}

// Execute runs script against obj as Argo CD's VM.ExecuteHealthLua does, including its 1 s limit.
func Execute(script string, obj map[string]any, openLibs bool) (HealthStatus, error) {
	l := lua.NewState(lua.Options{SkipOpenLibs: !openLibs})
	defer l.Close()
	// Argo CD opens these even when the standard library is off (util/lua runLua); its "safe os"
	// (time and date only) is left out, so a script that needs os fails here rather than in Argo.
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.LoadLibName, lua.OpenPackage}, {lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			return HealthStatus{}, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", decodeValue(l, obj))
	if err := l.DoString(script); err != nil {
		var apiErr *lua.ApiError
		if errors.As(err, &apiErr) {
			apiErr.StackTrace = ""
		}
		return HealthStatus{}, err
	}
	switch ret := l.Get(-1).(type) {
	case *lua.LNilType:
		return HealthStatus{}, nil
	case *lua.LTable:
		if key, _ := ret.Next(lua.LNil); key == lua.LNil {
			return HealthStatus{}, nil // Argo CD: an empty table encodes as [] and means no status
		}
		status, err := stringField(ret, "status")
		if err != nil {
			return HealthStatus{}, err
		}
		message, err := stringField(ret, "message")
		if err != nil {
			return HealthStatus{}, err
		}
		if !validStatuses[status] {
			return HealthStatus{Status: "Unknown", Message: invalidHealthStatus}, nil
		}
		return HealthStatus{Status: status, Message: message}, nil
	default:
		return HealthStatus{}, fmt.Errorf("expect table output from Lua script, not %s", ret.Type())
	}
}

// readObject reads a YAML or JSON file into the map Argo CD hands to decodeValue.
func readObject(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	obj := map[string]any{}
	if err := yaml.Unmarshal(data, &obj); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return obj, nil
}

// runOne prints the health of one object.
func runOne(args []string) int {
	fset := flag.NewFlagSet("run", flag.ExitOnError)
	openLibs := fset.Bool("open-libs", false, "open the full Lua standard library (Argo CD's built-in checks)")
	_ = fset.Parse(args)
	if fset.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: berth-argo-health run [-open-libs] HEALTH_LUA OBJECT_FILE")
		return 2
	}
	script, err := os.ReadFile(fset.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	obj, err := readObject(fset.Arg(1))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	hs, err := Execute(string(script), obj, *openLibs)
	if err != nil {
		fmt.Fprintln(os.Stderr, "health.lua failed:", err)
		return 1
	}
	out, _ := json.Marshal(hs)
	fmt.Println(string(out))
	return 0
}

// testDir runs the health_test.yaml beside every health.lua under root, as Argo CD's
// TestLuaHealthScript does, printing one line per case and mode.
func testDir(root string) int {
	var scripts []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && d.Name() == "health.lua" {
			scripts = append(scripts, path)
		}
		return nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if len(scripts) == 0 {
		fmt.Fprintf(os.Stderr, "no health.lua under %s\n", root)
		return 2
	}
	sort.Strings(scripts)
	failures, cases := 0, 0
	fail := func(format string, a ...any) {
		failures++
		fmt.Printf("FAIL "+format+"\n", a...)
	}
	for _, path := range scripts {
		dir := filepath.Dir(path)
		name, _ := filepath.Rel(root, dir)
		script, err := os.ReadFile(path)
		if err != nil {
			fail("%s: %v", name, err)
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, "health_test.yaml"))
		if err != nil {
			fail("%s: every health.lua needs a health_test.yaml: %v", name, err)
			continue
		}
		var suite struct {
			Tests []healthTest `json:"tests"`
		}
		if err := yaml.UnmarshalStrict(data, &suite); err != nil {
			fail("%s/health_test.yaml: %v", name, err)
			continue
		}
		if len(suite.Tests) == 0 {
			fail("%s/health_test.yaml has no tests", name)
			continue
		}
		for _, tc := range suite.Tests {
			obj, err := readObject(filepath.Join(dir, tc.InputPath))
			if err != nil {
				fail("%s %s: %v", name, tc.InputPath, err)
				continue
			}
			for _, openLibs := range []bool{false, true} {
				cases++
				mode := "argocd-cm"
				if openLibs {
					mode = "open-libs"
				}
				got, err := Execute(string(script), obj, openLibs)
				switch {
				case err != nil:
					fail("%s %s [%s]: %v", name, tc.InputPath, mode, err)
				case got != tc.HealthStatus:
					fail("%s %s [%s]: want %+v, got %+v", name, tc.InputPath, mode, tc.HealthStatus, got)
				default:
					fmt.Printf("ok   %s %s [%s]: %s %q\n", name, tc.InputPath, mode, got.Status, got.Message)
				}
			}
		}
	}
	fmt.Printf("%d cases, %d failed\n", cases, failures)
	if failures > 0 {
		return 1
	}
	return 0
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: berth-argo-health run [-open-libs] HEALTH_LUA OBJECT_FILE | test DIR")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "run":
		os.Exit(runOne(os.Args[2:]))
	case "test":
		if len(os.Args) != 3 {
			fmt.Fprintln(os.Stderr, "usage: berth-argo-health test DIR")
			os.Exit(2)
		}
		os.Exit(testDir(os.Args[2]))
	default:
		fmt.Fprintf(os.Stderr, "unknown command %q\n", os.Args[1])
		os.Exit(2)
	}
}
