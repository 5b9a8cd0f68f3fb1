package main

import (
	"bytes"
	"debug/elf"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// container is the part of a Kubernetes container spec the deploy examples are checked on.
type container struct {
	Name string   `yaml:"name"`
	Args []string `yaml:"args"`
	Env  []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom *struct {
			SecretKeyRef *struct{ Name, Key string } `yaml:"secretKeyRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	ReadinessProbe *struct {
		HTTPGet struct {
			Path string `yaml:"path"`
			Port any    `yaml:"port"`
		} `yaml:"httpGet"`
	} `yaml:"readinessProbe"`
}

// podSpec is a pod template's spec.
type podSpec struct {
	SecurityContext struct {
		RunAsNonRoot bool `yaml:"runAsNonRoot"`
		RunAsUser    int  `yaml:"runAsUser"`
	} `yaml:"securityContext"`
	Containers []container `yaml:"containers"`
}

// manifest is one Kubernetes object of deploy/kubernetes: a Deployment or a CronJob.
type manifest struct {
	Kind string `yaml:"kind"`
	Spec struct {
		Template struct {
			Spec podSpec `yaml:"spec"`
		} `yaml:"template"`
		JobTemplate struct {
			Spec struct {
				Template struct {
					Spec podSpec `yaml:"spec"`
				} `yaml:"template"`
			} `yaml:"spec"`
		} `yaml:"jobTemplate"`
	} `yaml:"spec"`
}

// TestDeployExamples checks deploy/: every usher command line in the Kubernetes examples parses
// with the CLI's own flags, the pods run as the image's non-root user, secrets come from Secrets
// (files or secretKeyRef, never values in the manifest or the arguments), the hook's readiness
// probe is /healthz on the port it listens on — and the hook, started with the Deployment's
// arguments on the PostgreSQL store, answers that probe; the Dockerfile's build gives a static
// binary.
func TestDeployExamples(t *testing.T) {
	docker, err := os.ReadFile("../../deploy/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	user := regexp.MustCompile(`(?m)^USER (\d+)(:\d+)?$`).FindSubmatch(docker)
	if user == nil || string(user[1]) == "0" || !bytes.Contains(docker, []byte("CGO_ENABLED=0 go build")) {
		t.Fatalf("Dockerfile: want a numeric non-root USER and a CGO_ENABLED=0 build")
	}
	files, _ := filepath.Glob("../../deploy/kubernetes/*.yaml")
	if len(files) < 2 {
		t.Fatalf("deploy/kubernetes holds %d manifests", len(files))
	}
	kinds := map[string]bool{}
	for _, f := range files {
		dec := yaml.NewDecoder(mustOpen(t, f))
		for {
			var m manifest
			if err := dec.Decode(&m); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			kinds[m.Kind] = true
			pod := m.Spec.Template.Spec
			if m.Kind == "CronJob" {
				pod = m.Spec.JobTemplate.Spec.Template.Spec
			}
			if m.Kind != "Deployment" && m.Kind != "CronJob" {
				continue
			}
			if !pod.SecurityContext.RunAsNonRoot || kubeStr(pod.SecurityContext.RunAsUser) != string(user[1]) {
				t.Errorf("%s %s: runAsNonRoot %v as %d, want the image's user %s", f, m.Kind, pod.SecurityContext.RunAsNonRoot, pod.SecurityContext.RunAsUser, user[1])
			}
			for _, c := range pod.Containers {
				checkContainer(t, f, c)
			}
		}
	}
	if !kinds["Deployment"] || !kinds["CronJob"] {
		t.Fatalf("kinds %v: want a Deployment of hook replicas and a CronJob of exports", kinds)
	}

	bin := filepath.Join(t.TempDir(), "usher")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("the Dockerfile's build: %v: %s", err, out)
	}
	ef, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatal("the binary needs a dynamic loader: the distroless static image cannot run it")
		}
	}
}

// checkContainer checks one container of the examples.
func checkContainer(t *testing.T, file string, c container) {
	t.Helper()
	root := newRoot(slog.New(slog.DiscardHandler), io.Discard, io.Discard, &cpuProfile{})
	cmd, rest, err := root.Find(c.Args)
	if err != nil || cmd == root {
		t.Fatalf("%s: %s: %v is no usher command: %v", file, c.Name, c.Args, err)
	}
	if err := cmd.ParseFlags(rest); err != nil {
		t.Fatalf("%s: %s: %v: %v", file, c.Name, c.Args, err)
	}
	for _, a := range c.Args {
		name, value, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if strings.Contains(name, "secret") || strings.Contains(name, "token") || strings.Contains(name, "password") {
			if !strings.HasSuffix(name, "-file") || !strings.HasPrefix(value, "/secrets/") {
				t.Errorf("%s: %s: %s: a secret must be a file mounted from a Secret", file, c.Name, a)
			}
		}
		if u, err := url.Parse(value); err == nil && u.User != nil {
			if _, hasPassword := u.User.Password(); hasPassword {
				t.Errorf("%s: %s: %s: a password in a DSN shows in ps; use PGPASSWORD from a Secret", file, c.Name, a)
			}
		}
	}
	for _, e := range c.Env {
		if e.Value != "" && (strings.Contains(strings.ToLower(e.Name), "password") || strings.Contains(strings.ToLower(e.Name), "secret")) {
			t.Errorf("%s: %s: env %s holds a value: use secretKeyRef", file, c.Name, e.Name)
		}
	}
	if cmd.Name() != "serve" {
		return
	}
	listen := cmd.Flags().Lookup("listen").Value.String()
	if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet.Path != "/healthz" {
		t.Fatalf("%s: %s: the hook needs a readiness probe on /healthz", file, c.Name)
	}
	port := ""
	for _, p := range c.Ports {
		if p.Name == c.ReadinessProbe.HTTPGet.Port || kubeStr(p.ContainerPort) == kubeStr(c.ReadinessProbe.HTTPGet.Port) {
			port = kubeStr(p.ContainerPort)
		}
	}
	if port == "" || !strings.HasSuffix(listen, ":"+port) {
		t.Fatalf("%s: %s: the probe's port %v is not the --listen port (%s)", file, c.Name, c.ReadinessProbe.HTTPGet.Port, listen)
	}

	dsn := os.Getenv("USHER_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Log("USHER_TEST_POSTGRES_DSN unset: the Deployment's hook is not started")
		return
	}
	_, tokenFile := hookToken(t, t.TempDir())
	var args []string
	for _, a := range c.Args[2:] { // after "hook serve"; listeners and secrets are the test's
		switch name, _, _ := strings.Cut(a, "="); name {
		case "--listen", "--metrics-listen", "--store", "--token-file":
		default:
			args = append(args, a)
		}
	}
	url, stop := startHook(t, append(args, "--store", dsn, "--token-file", tokenFile)...)
	defer stop()
	resp, err := http.Get(url + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("readiness probe: %v %v", resp, err)
	}
	resp.Body.Close()
}

func mustOpen(t *testing.T, path string) io.Reader {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(b)
}

func kubeStr(v any) string {
	switch x := v.(type) {
	case int:
		return strconv.Itoa(x)
	case string:
		return x
	}
	return ""
}
