{{/* Labels every object carries. */}}
{{- define "synthdata-prod.labels" -}}
app.kubernetes.io/name: synthdata-prod
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* The sampler image, by digest when one is given. */}}
{{- define "synthdata-prod.samplerImage" -}}
{{- with .Values.sampler.image -}}
{{- if .digest -}}{{ printf "%s@%s" .repository .digest }}{{- else -}}{{ printf "%s:%s" .repository .tag }}{{- end -}}
{{- end -}}
{{- end -}}
