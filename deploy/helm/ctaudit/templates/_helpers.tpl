{{/* Names and labels, the usual way. */}}
{{- define "ctaudit.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "ctaudit.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "ctaudit.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ctaudit.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "ctaudit.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "ctaudit.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "ctaudit.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "ctaudit.configMapName" -}}
{{- default (printf "%s-config" (include "ctaudit.fullname" .)) .Values.existingConfigMap }}
{{- end }}

{{/*
The security context of a ctaudit container: uid 65532 (the image's user),
read-only root filesystem, every capability dropped but the ones the mode
needs. The image's ctaudit carries them as permitted-only file capabilities;
a container runtime gives a non-root process nothing else (docs/DEPLOY.md).
Argument: the list of capabilities; "ptrace" true adds AppArmor unconfined.
*/}}
{{- define "ctaudit.securityContext" -}}
runAsUser: 65532
runAsGroup: 65532
runAsNonRoot: true
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
  add: {{ toJson .capabilities }}
{{- if .ptrace }}
# Container AppArmor profiles refuse ptrace-mode reads of processes outside
# the container (/proc/PID/ns/net), whatever the capabilities.
appArmorProfile:
  type: Unconfined
{{- end }}
{{- end }}

{{/*
Node files under /host: what pod network discovery reads (always) and what
naming pods reads (.attribution). Dict: values, attribution.
*/}}
{{- define "ctaudit.nodeMounts" -}}
{{- $n := .values.nodePaths -}}
# Pod networks: CNI configs (every CNI writes one here).
- name: cni-config
  mountPath: /host/etc/cni/net.d
  readOnly: true
  recursiveReadOnly: IfPossible
# Pod networks: flannel's subnet.env (empty elsewhere).
- name: flannel-run
  mountPath: /host/run/flannel
  readOnly: true
  recursiveReadOnly: IfPossible
{{- if .attribution }}
# Pod names: host-local IPAM state, address -> sandbox container id.
- name: cni-ipam
  mountPath: /host/var/lib/cni/networks
  readOnly: true
  recursiveReadOnly: IfPossible
# Pod names: containerd's sandbox bundles (config.json annotations); not
# /run/containerd, whose containerd.sock a read-only mount would not protect.
- name: containerd-tasks
  mountPath: /host/run/containerd/io.containerd.runtime.v2.task
  readOnly: true
  recursiveReadOnly: IfPossible
{{- end }}
# Routes, the last-resort source of pod networks: ROOT/proc/net/route, the node's with hostNetwork.
- name: host-proc
  mountPath: /host/proc
  readOnly: true
  recursiveReadOnly: IfPossible
# BPF dataplanes (docs/DATAPLANES.md): Cilium's and Calico's pinned NAT maps.
# HostToContainer: a bpffs mounted after this pod started shows up too.
- name: bpffs
  mountPath: /host/sys/fs/bpf
  readOnly: true
  mountPropagation: HostToContainer
{{- if .attribution }}
# Live, at its own path: network namespaces by name; HostToContainer shows
# namespaces made after this pod started.
- name: netns
  mountPath: /run/netns
  readOnly: true
  mountPropagation: HostToContainer
{{- end }}
{{- if $n.k3s }}
- name: k3s-agent-etc
  mountPath: /host/var/lib/rancher/k3s/agent/etc
  readOnly: true
  recursiveReadOnly: IfPossible
{{- if .attribution }}
- name: k3s-containerd-tasks
  mountPath: /host/run/k3s/containerd/io.containerd.runtime.v2.task
  readOnly: true
  recursiveReadOnly: IfPossible
{{- end }}
{{- end }}
{{- if $n.microk8s }}
- name: microk8s-args
  mountPath: /host/var/snap/microk8s/current/args
  readOnly: true
  recursiveReadOnly: IfPossible
{{- if .attribution }}
- name: microk8s-containerd-tasks
  mountPath: /host/var/snap/microk8s/common/run/containerd/io.containerd.runtime.v2.task
  readOnly: true
  recursiveReadOnly: IfPossible
{{- end }}
{{- end }}
{{- if $n.microk8sFlannel }}
- name: microk8s-flannel
  mountPath: /host/var/snap/microk8s/common/run/flannel
  readOnly: true
  recursiveReadOnly: IfPossible
{{- end }}
{{- if and $n.crio .attribution }}
- name: crio-containers
  mountPath: /host/run/containers/storage/overlay-containers
  readOnly: true
  recursiveReadOnly: IfPossible
{{- end }}
{{- if $n.calicoEtc }}
- name: calico-etc
  mountPath: /host/etc/calico
  readOnly: true
  recursiveReadOnly: IfPossible
{{- end }}
{{- end }}

{{/*
The volumes behind ctaudit.nodeMounts. The standard paths use
DirectoryOrCreate (an empty dir in /run is harmless and gone at reboot); the
distribution paths use Directory, so a wrong setting fails the pod instead of
creating /var/snap/microk8s on a node without it.
*/}}
{{- define "ctaudit.nodeVolumes" -}}
{{- $n := .values.nodePaths -}}
- name: cni-config
  hostPath:
    path: /etc/cni/net.d
    type: DirectoryOrCreate
- name: flannel-run
  hostPath:
    path: /run/flannel
    type: DirectoryOrCreate
{{- if .attribution }}
- name: cni-ipam
  hostPath:
    path: /var/lib/cni/networks
    type: DirectoryOrCreate
- name: containerd-tasks
  hostPath:
    path: /run/containerd/io.containerd.runtime.v2.task
    type: DirectoryOrCreate
{{- end }}
- name: host-proc
  hostPath:
    path: /proc
    type: Directory
# Not created when missing: a node without a bpffs has no BPF dataplane.
- name: bpffs
  hostPath:
    path: /sys/fs/bpf
    type: ""
{{- if .attribution }}
- name: netns
  hostPath:
    path: /run/netns
    type: DirectoryOrCreate
{{- end }}
{{- if $n.k3s }}
- name: k3s-agent-etc
  hostPath:
    path: /var/lib/rancher/k3s/agent/etc
    type: Directory
{{- if .attribution }}
- name: k3s-containerd-tasks
  hostPath:
    path: /run/k3s/containerd/io.containerd.runtime.v2.task
    type: Directory
{{- end }}
{{- end }}
{{- if $n.microk8s }}
- name: microk8s-args
  hostPath:
    path: /var/snap/microk8s/current/args
    type: Directory
{{- if .attribution }}
- name: microk8s-containerd-tasks
  hostPath:
    path: /var/snap/microk8s/common/run/containerd/io.containerd.runtime.v2.task
    type: Directory
{{- end }}
{{- end }}
{{- if $n.microk8sFlannel }}
- name: microk8s-flannel
  hostPath:
    path: /var/snap/microk8s/common/run/flannel
    type: Directory
{{- end }}
{{- if and $n.crio .attribution }}
- name: crio-containers
  hostPath:
    path: /run/containers/storage/overlay-containers
    type: Directory
{{- end }}
{{- if $n.calicoEtc }}
- name: calico-etc
  hostPath:
    path: /etc/calico
    type: Directory
{{- end }}
{{- end }}
