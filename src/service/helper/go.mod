module hotwatch.dev/servicehelper

go 1.21
