module hotwatch.dev/inotifyhelper

go 1.21
