"""The base layer: errors, atomic I/O, downloads, hashing and file stamps, random states, processes and
checkpoint I/O. Imports nothing from the project."""
