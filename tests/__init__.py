"""Tests for the SMS Credit integration."""
