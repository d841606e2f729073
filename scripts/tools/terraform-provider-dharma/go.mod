module github.com/dharma-platform/terraform-provider-dharma

go 1.25.0
