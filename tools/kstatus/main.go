// Command berth-kstatus prints what kstatus, the status library of sigs.k8s.io/cli-utils that
// Flux's health checks and `kubectl`-style waiters use, computes for Kubernetes objects. It exists
// so berth's tests compare their own reading of kstatus with the upstream library itself.
//
// Input on stdin: one object, a JSON array of objects, or a List ({"items": [...]}), as JSON.
// Output: one JSON line per object, in input order:
//
//	{"kind":"RegistryToken","namespace":"ns","name":"t","status":"InProgress","message":"..."}
//
// An object kstatus cannot evaluate gets status "Error" with the reason as message, and the
// command exits 1 after printing every line.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

// line is one result as printed.
type line struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Status    string `json:"status"`
	Message   string `json:"message"`
}

// objects splits the input into the raw JSON of each object.
func objects(input []byte) ([]json.RawMessage, error) {
	trimmed := bytes.TrimSpace(input)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("no input on stdin")
	}
	if trimmed[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(trimmed, &list); err != nil {
			return nil, fmt.Errorf("parsing the array: %w", err)
		}
		return list, nil
	}
	var probe struct {
		Items *[]json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(trimmed, &probe); err != nil {
		return nil, fmt.Errorf("parsing the object: %w", err)
	}
	if probe.Items != nil {
		return *probe.Items, nil
	}
	return []json.RawMessage{trimmed}, nil
}

// compute runs kstatus on one object. UnmarshalJSON (not encoding/json into a map) keeps integers
// as int64: kstatus reads metadata.generation with NestedInt64, which rejects float64.
func compute(raw json.RawMessage) line {
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(raw); err != nil {
		return line{Status: "Error", Message: err.Error()}
	}
	out := line{Kind: u.GetKind(), Namespace: u.GetNamespace(), Name: u.GetName()}
	res, err := status.Compute(u)
	if err != nil {
		out.Status, out.Message = "Error", err.Error()
		return out
	}
	out.Status, out.Message = res.Status.String(), res.Message
	return out
}

func main() {
	input, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "berth-kstatus: reading stdin:", err)
		os.Exit(2)
	}
	raws, err := objects(input)
	if err != nil {
		fmt.Fprintln(os.Stderr, "berth-kstatus:", err)
		os.Exit(2)
	}
	enc := json.NewEncoder(os.Stdout)
	failed := false
	for _, raw := range raws {
		res := compute(raw)
		failed = failed || res.Status == "Error"
		if err := enc.Encode(res); err != nil {
			fmt.Fprintln(os.Stderr, "berth-kstatus: writing stdout:", err)
			os.Exit(2)
		}
	}
	if failed {
		os.Exit(1)
	}
}
